/**
 * Receivers in the notify directory that never read must cost nitro
 * neither time nor unbounded memory. One service is restarted 1,000 times
 * (a `restart` request answered once it is STARTING again), first with
 * nobody listening, then with 100 datagram sockets bound in `notify/` as
 * `ALL,…` that never read: every state of every restart is announced to
 * each of them, and each fills up at once.
 *
 * Then the same with 4× the restarts.
 *
 * Targets: the median restart with the receivers within 1.25× (+ 1 ms) of
 * the median without. Memory: nitro's RSS is sampled after each tenth of
 * the restarts, and a trail's mean taken (V8's heap grows and shrinks in a
 * saw-tooth either way, so single samples mislead). What the receivers add
 * to that mean is their sockets' and queues' cost (reported); it must not
 * grow by more than 1 MB when the restarts are 4× as many: it is bounded.
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
import { QUEUED_PER_RECEIVER } from "../../src/daemon/notify_dir.ts";
import {
  type Figure,
  formatFigure,
  mb,
  median,
  Nitro,
  rssKb,
  sleep,
} from "./common.ts";

/** One round: the same restarts without receivers, then with them. */
export interface NotifyFloodRound {
  restarts: number;
  /** Median restart without receivers, ms. */
  quietMs: number;
  /** Median restart with the receivers, ms. */
  floodedMs: number;
  /** nitro's RSS without receivers after each tenth of the restarts, kB. */
  quietKb: number[];
  /** The same with the receivers, kB. */
  floodedKb: number[];
}

/** Figures of the notify flood: a round, and one with 4× the restarts. */
export interface NotifyFloodResult {
  receivers: number;
  short: NotifyFloodRound;
  long: NotifyFloodRound;
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
    const rss: number[] = [];
    const tenth = Math.ceil(count / 10);
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const results = await client.restart(["web"], { wait: "starting" });
      if (!results.every((r) => r.ok)) {
        throw new Error(`restart failed: ${JSON.stringify(results)}`);
      }
      times.push(performance.now() - t0);
      if ((i + 1) % tenth === 0 || i + 1 === count) {
        await sleep(500);
        rss.push(rssKb(n.pid));
      }
    }
    return { medianMs: median(times), rss };
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
  const round = async (count: number): Promise<NotifyFloodRound> => {
    const quiet = await restartRun(count, 0);
    const flooded = await restartRun(count, receivers);
    return {
      restarts: count,
      quietMs: quiet.medianMs,
      floodedMs: flooded.medianMs,
      quietKb: quiet.rss,
      floodedKb: flooded.rss,
    };
  };
  return {
    receivers,
    short: await round(restarts),
    long: await round(4 * restarts),
  };
}

/** The mean of a trail of RSS samples: over V8's heap growing and shrinking. */
function meanKb(kb: number[]): number {
  return kb.reduce((sum, k) => sum + k, 0) / kb.length;
}

/** What the receivers add to nitro's RSS in a round, kB. */
function costKb(r: NotifyFloodRound): number {
  return meanKb(r.floodedKb) - meanKb(r.quietKb);
}

/** The figures, as the bench prints them. */
export function notifyFloodFigures(r: NotifyFloodResult): Figure[] {
  const { short, long } = r;
  const latencyLimit = short.quietMs * 1.25 + 1;
  const trail = (kb: number[]) =>
    kb.map((k) => (k / 1024).toFixed(1)).join(" ");
  const signed = (kb: number) => `${kb >= 0 ? "+" : ""}${mb(kb)}`;
  return [{
    what:
      `median restart with ${r.receivers} notify receivers that never read (${short.restarts} restarts)`,
    figure: `${short.floodedMs.toFixed(1)} ms`,
    baseline: `no receivers: ${short.quietMs.toFixed(1)} ms`,
    compare: `${(short.floodedMs - short.quietMs) >= 0 ? "+" : ""}${
      (short.floodedMs - short.quietMs).toFixed(1)
    } ms`,
    target: `≤ ${latencyLimit.toFixed(1)} ms`,
    ok: short.floodedMs <= latencyLimit,
  }, {
    what:
      `nitro's RSS with those receivers, mean of a sample after each tenth of ${short.restarts} restarts (MB: ${
        trail(short.floodedKb)
      })`,
    figure: mb(meanKb(short.floodedKb)),
    baseline: `no receivers: ${mb(meanKb(short.quietKb))} (${
      trail(short.quietKb)
    })`,
    compare: `${signed(costKb(short))}, ${
      (costKb(short) / r.receivers).toFixed(0)
    } kB per receiver (its socket and at most ${QUEUED_PER_RECEIVER} queued packets)`,
  }, {
    what:
      `what the receivers add to nitro's RSS over ${long.restarts} restarts (MB with them: ${
        trail(long.floodedKb)
      }; without: ${trail(long.quietKb)})`,
    figure: signed(costKb(long)),
    baseline: `over ${short.restarts} restarts: ${signed(costKb(short))}`,
    compare: signed(costKb(long) - costKb(short)),
    target: "≤ +1 MB (it does not grow with the restarts)",
    ok: costKb(long) - costKb(short) <= 1024,
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
