/**
 * nitroctl's exit statuses (spec §6) and how failures map onto them.
 *
 * @module
 */

import { NitroError } from "../client.ts";
import { UsageError } from "./args.ts";

/** Exit statuses. */
export const EXIT = {
  /** Everything done. */
  ok: 0,
  /**
   * A start/restart/wait ended FATAL, pidof/check found no pid, or a
   * signal found no process to signal.
   */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** `-t` expired first. */
  timeout: 3,
  /**
   * No such service (even when the others were served), bad name, nitro
   * unreachable, or refusing (`busy`, shutting down).
   */
  unavailable: 111,
} as const;

/**
 * The exit status and the one-line message for an error thrown while
 * running a command. Every {@link NitroError} — whether nitro refused the
 * request or could not be reached — is 111, as is anything unexpected.
 *
 * @example
 * ```ts
 * import { NitroError } from "../client.ts";
 * import { failure } from "./exit.ts";
 * const { status, message } = failure(new NitroError("no-such-service", "no such service", { service: "web" }));
 * console.assert(status === 111 && message === "nitroctl: web: no such service");
 * ```
 */
export function failure(error: unknown): { status: number; message: string } {
  if (error instanceof UsageError) {
    return { status: EXIT.usage, message: `nitroctl: ${error.message}` };
  }
  if (error instanceof NitroError) {
    const { service, message } = error;
    const text = service !== undefined && !message.includes(service)
      ? `${service}: ${message}`
      : message;
    return { status: EXIT.unavailable, message: `nitroctl: ${text}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: EXIT.unavailable, message: `nitroctl: ${message}` };
}
