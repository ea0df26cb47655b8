/**
 * Receivers in the notify directory that never read must cost nitro
 * neither time nor unbounded memory. One service is restarted 1,000 times
 * (a `restart` request answered once it is STARTING again), first with
 * nobody listening, then with 100 datagram sockets bound in `notify/` as
 * `ALL,…` that never read: every state of every restart is announced to
 * each of them, and each fills up at once.
 *
 * Targets: the median restart with the receivers within 1.25× (+ 1 ms) of
 * the median without; nitro's RSS after all restarts within 2 MB of its RSS
 * after the first tenth.
 *
 * ```sh
 * deno run --allow-all --unstable-net tests/bench/notify_flood.ts [--restarts=1000] [--receivers=100]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { NitroClient } from "../../mod.ts";
import {
  type Figure,
  formatFigure,
  mb,
  median,
  Nitro,
  rssKb,
  sleep,
} from "./common.ts";

/** Figures of the notify flood. */
export interface NotifyFloodResult {
  restarts: number;
  receivers: number;
  /** Median restart without receivers, ms. */
  quietMs: number;
  /** Median restart with the receivers, ms. */
  floodedMs: number;
  /** nitro's RSS after a tenth of the restarts with receivers, kB. */
  earlyKb: number;
  /** nitro's RSS after all of them, kB. */
  lateKb: number;
}

/** One nitro, one service, `count` restarts; `receivers` bound meanwhile. */
async function restartRun(count: number, receivers: number) {
  const n = await Nitro.create({
    web: { run: "#!/bin/sh\nexec sleep 100000\n" },
  });
  const conns: Deno.DatagramConn[] = [];
  let client: NitroClient | null = null;
  try {
    await n.start();
    const notify = join(n.root, "notify");
    for (let i = 0; i < receivers; i++) {
      // Bound, never read: the kernel queue fills, then nitro's.
      conns.push(Deno.listenDatagram({
        transport: "unixpacket",
        path: join(notify, `ALL,flood${i}`),
      }));
    }
    client = await NitroClient.connect(n.sock);
    await client.start(["web"]);
    const times: number[] = [];
    let earlyKb = 0;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const results = await client.restart(["web"], { wait: "starting" });
      if (!results.every((r) => r.ok)) {
        throw new Error(`restart failed: ${JSON.stringify(results)}`);
      }
      times.push(performance.now() - t0);
      if (i + 1 === Math.ceil(count / 10)) {
        await sleep(500);
        earlyKb = rssKb(n.pid);
      }
    }
    await sleep(500);
    return { medianMs: median(times), earlyKb, lateKb: rssKb(n.pid) };
  } finally {
    client?.close();
    for (const c of conns) c.close();
    await n.stop();
  }
}

/** Run the notify flood. */
export async function notifyFlood(
  opts: { restarts?: number; receivers?: number } = {},
): Promise<NotifyFloodResult> {
  const restarts = opts.restarts ?? 1000;
  const receivers = opts.receivers ?? 100;
  const quiet = await restartRun(restarts, 0);
  const flooded = await restartRun(restarts, receivers);
  return {
    restarts,
    receivers,
    quietMs: quiet.medianMs,
    floodedMs: flooded.medianMs,
    earlyKb: flooded.earlyKb,
    lateKb: flooded.lateKb,
  };
}

/** The figures, as the bench prints them. */
export function notifyFloodFigures(r: NotifyFloodResult): Figure[] {
  const latencyLimit = r.quietMs * 1.25 + 1;
  return [{
    what:
      `median restart with ${r.receivers} notify receivers that never read (${r.restarts} restarts)`,
    figure: `${r.floodedMs.toFixed(1)} ms`,
    baseline: `no receivers: ${r.quietMs.toFixed(1)} ms`,
    compare: `${(r.floodedMs - r.quietMs) >= 0 ? "+" : ""}${
      (r.floodedMs - r.quietMs).toFixed(1)
    } ms`,
    target: `≤ ${latencyLimit.toFixed(1)} ms`,
    ok: r.floodedMs <= latencyLimit,
  }, {
    what: `nitro's RSS after ${r.restarts} restarts to those receivers`,
    figure: mb(r.lateKb),
    baseline: `after ${Math.ceil(r.restarts / 10)}: ${mb(r.earlyKb)}`,
    compare: `${r.lateKb - r.earlyKb >= 0 ? "+" : ""}${
      mb(r.lateKb - r.earlyKb)
    }`,
    target: "≤ +2 MB",
    ok: r.lateKb - r.earlyKb <= 2048,
  }];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      restarts: { type: "string", default: "1000" },
      receivers: { type: "string", default: "100" },
    },
  });
  const figures = notifyFloodFigures(
    await notifyFlood({
      restarts: Number(values.restarts),
      receivers: Number(values.receivers),
    }),
  );
  for (const f of figures) console.log(formatFigure(f));
  Deno.exit(figures.every((f) => f.ok !== false) ? 0 : 1);
}
