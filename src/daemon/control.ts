/**
 * The control socket's server: the bounded line transport
 * (control/transport.ts) carrying requests to their handlers
 * (control/requests.ts), with the bounds nitro uses.
 *
 * A bad client gets an error line or a closed connection; it never disturbs
 * the daemon or other clients. A bug of the daemon's is logged on its stderr
 * and answered with the code `internal`.
 *
 * @module
 */

import { stackOf } from "../errors.ts";
import { serveLines, type TransportLimits } from "./control/transport.ts";
import { type ControlSupervisor, Requests } from "./control/requests.ts";

export type { ControlSupervisor } from "./control/requests.ts";

/** The bounds of the control plane. */
export type ControlLimits = TransportLimits;

/** The bounds nitro uses. */
export const LIMITS: Readonly<ControlLimits> = {
  clients: 64,
  subscribers: 32,
  firstRequestMs: 5_000,
  idleMs: 60_000,
  queueBytes: 1 << 20,
  pauseBytes: 64 << 10,
  inFlight: 32,
  stallMs: 5_000,
};

/** What the control server needs from its surroundings. */
export interface ControlContext {
  supervisor: ControlSupervisor;
  /** Start the end of the system (answers first, then goes down). */
  end: (mode: "shutdown" | "reboot") => void;
  pid1: boolean;
  /** Other bounds than {@link LIMITS} (tests). */
  limits?: Partial<ControlLimits>;
  /** nitro's console, for its own bugs. */
  console: { say(line: string): void };
  /** nitro's open fds for `info` (-1: unknown). */
  openFds: () => Promise<number>;
}

/** Serve clients on `listener` until it is closed. */
export function serveControl(
  listener: Deno.Listener,
  ctx: ControlContext,
): Promise<void> {
  const limits = { ...LIMITS, ...ctx.limits };
  const report = (during: string, err: unknown) => {
    const text = stackOf(err);
    ctx.console.say(`- nitro: internal error while ${during}: ${text}`);
  };
  const handler = new Requests({
    supervisor: ctx.supervisor,
    end: ctx.end,
    pid1: ctx.pid1,
    subscribers: limits.subscribers,
    report,
    openFds: ctx.openFds,
  });
  return serveLines(listener, { handler, limits, report });
}
