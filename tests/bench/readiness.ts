/**
 * Readiness at scale: 200 services with `notification-fd` start at once and
 * wait at a gate; once all are STARTING the gate opens and each writes its
 * newline. Measured on nitro's own event timestamps:
 * - the worst time from the gate opening to a service's UP (target: each UP
 *   within 1 s of its newline), against the same for a single service;
 * - how long nitro takes to start the 200 (first to last STARTING), against
 *   200 services without `notification-fd`: the cost of the relays.
 *
 * ```sh
 * deno run --allow-all tests/bench/readiness.ts [--services=200]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { EventLog } from "../helpers/daemon.ts";
import { eventually } from "../helpers/nitro.ts";
import { type Figure, Nitro, printFigure, writeServices } from "./common.ts";

/** Target for the worst gate → UP time, ms. */
export const TARGET_UP_MS = 1000;

/** One run: `count` services, with or without a readiness fd. */
interface Round {
  /** First to last STARTING, ms (nitro's clock). */
  startMs: number;
  /** First to last UP, ms; null without readiness fds. */
  upSpreadMs: number | null;
  /** Last STARTING (the gate opens after it) to the last UP, ms. */
  worstUpMs: number | null;
}

/** Figures of the readiness section. */
export interface ReadinessResult {
  services: number;
  notified: Round;
  single: Round;
  timer: Round;
}

async function round(count: number, notified: boolean): Promise<Round> {
  const n = await Nitro.create({});
  const gate = join(n.root, "gate");
  const hold = join(n.root, "hold");
  const made = await new Deno.Command("mkfifo", { args: [gate, hold] })
    .output();
  if (!made.success) throw new Error("mkfifo failed");
  // Held read-write: opening never blocks, reading never ends.
  using gateFile = Deno.openSync(gate, { read: true, write: true });
  using _holdFile = Deno.openSync(hold, { read: true, write: true });
  const names = Array.from({ length: count }, (_, i) => `s${i}`);
  for (const name of names) {
    writeServices(n.dir, {
      [name]: notified
        ? {
          run: `#!/bin/sh\nread _ < ${gate}\necho >&3\nread _ < ${hold}\n`,
          "notification-fd": "3",
        }
        : { run: `#!/bin/sh\nread _ < ${hold}\n` },
    });
  }
  try {
    await n.start();
    const log = await EventLog.open(n.sock);
    try {
      await eventually(
        () => names.every((s) => log.states(s).includes("STARTING")),
        120_000,
        "all STARTING",
      );
      const starts = names.map((s) => log.time(s, "STARTING"));
      const opened = Math.max(...starts);
      const startMs = opened - Math.min(...starts);
      if (!notified) return { startMs, upSpreadMs: null, worstUpMs: null };
      gateFile.writeSync(new TextEncoder().encode("\n".repeat(count)));
      await eventually(
        () => names.every((s) => log.states(s).includes("UP")),
        120_000,
        "all UP",
      );
      const ups = names.map((s) => log.time(s, "UP"));
      return {
        startMs,
        upSpreadMs: Math.max(...ups) - Math.min(...ups),
        worstUpMs: Math.max(...ups) - opened,
      };
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
}

/** Run the readiness section. */
export async function readiness(
  opts: { services?: number } = {},
): Promise<ReadinessResult> {
  const services = opts.services ?? 200;
  return {
    services,
    single: await round(1, true),
    notified: await round(services, true),
    timer: await round(services, false),
  };
}

/** The figures, with targets. */
export function readinessFigures(r: ReadinessResult): Figure[] {
  const spread = r.notified.upSpreadMs!;
  return [
    {
      what:
        `first to last UP, ${r.services} services writing their newline at once`,
      figure: `${spread} ms (gate to last UP: ${r.notified.worstUpMs} ms)`,
      baseline: `gate to UP of one service alone: ${r.single.worstUpMs} ms`,
      compare: `${spread - r.single.worstUpMs!} ms more`,
      target: `≤ ${TARGET_UP_MS} ms`,
      ok: spread <= TARGET_UP_MS,
    },
    {
      what: `time to start ${r.services} services with notification-fd`,
      figure: `${r.notified.startMs} ms`,
      baseline: `without notification-fd: ${r.timer.startMs} ms`,
      compare: `${
        (r.notified.startMs / Math.max(1, r.timer.startMs)).toFixed(2)
      }×`,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { services: { type: "string", default: "200" } },
  });
  const figures = readinessFigures(
    await readiness({ services: Number(values.services) }),
  );
  for (const f of figures) printFigure(f);
  if (figures.some((f) => f.ok === false)) Deno.exit(1);
}
