/**
 * Whether nitro's memory creeps with restarts: a service and its logger
 * are restarted together, over and over (a `restart` request for both,
 * answered once both are starting again), and nitro's RSS is read after
 * 1,000 and after 2,000 such rounds (the median of 5 readings, 20 rounds
 * apart).
 *
 * Target: RSS after 2,000 within 1 MB of RSS after 1,000.
 *
 * ```sh
 * deno task bench restarts [--restarts=1000]
 * ```
 *
 * @module
 */

import { NitroClient } from "../../mod.ts";
import { type Figure, mb, median, Nitro, rssKb, sleep } from "./common.ts";

/** Figures of the restarts section. */
export interface RestartsResult {
  /** Rounds per step (the second reading is after twice as many). */
  restarts: number;
  /** RSS once both are up, before any restart, kB. */
  startKb: number;
  /** RSS after `restarts` rounds, kB. */
  firstKb: number;
  /** RSS after 2 × `restarts` rounds, kB. */
  secondKb: number;
  /** Wall time of one round, median of all, ms. */
  roundMs: number;
}

/** Run the restarts section. */
export async function restarts(
  opts: { restarts?: number } = {},
): Promise<RestartsResult> {
  const count = opts.restarts ?? 1000;
  const n = await Nitro.create({
    web: {
      run: "#!/bin/sh\nexec sleep 100000\n",
      log: { link: "../weblog" },
    },
    weblog: { run: "#!/bin/sh\nexec cat > /dev/null\n" },
  });
  let client: NitroClient | null = null;
  try {
    await n.start();
    client = await NitroClient.connect(n.sock);
    await client.start(["web", "weblog"]);
    await sleep(1000);
    const startKb = rssKb(n.pid);
    const times: number[] = [];
    const round = async () => {
      const t0 = performance.now();
      const results = await client!.restart(["web", "weblog"], {
        wait: "starting",
      });
      if (!results.every((r) => r.ok)) {
        throw new Error(`restart failed: ${JSON.stringify(results)}`);
      }
      times.push(performance.now() - t0);
    };
    // RSS moves by a few MB with the moment V8 last collected (its heap
    // stays flat: seen with gc() and heapUsed in a scratch build), so each
    // figure is the median of readings after 5 stretches of 20 more rounds.
    const readings: number[] = [];
    for (let step = 0; step < 2; step++) {
      for (let i = 0; i < count; i++) await round();
      console.error(`restarts: ${(step + 1) * count} rounds done`);
      const samples: number[] = [];
      for (let k = 0; k < 5; k++) {
        await sleep(500);
        samples.push(rssKb(n.pid));
        for (let i = 0; i < 20; i++) await round();
      }
      readings.push(median(samples));
    }
    times.sort((a, b) => a - b);
    return {
      restarts: count,
      startKb,
      firstKb: readings[0],
      secondKb: readings[1],
      roundMs: times[times.length >> 1],
    };
  } finally {
    client?.close();
    await n.stop();
  }
}

/** The section's figure. */
export function restartsFigures(r: RestartsResult): Figure[] {
  const delta = r.secondKb - r.firstKb;
  return [{
    what: `nitro's resident memory after ${
      2 * r.restarts
    } restarts of a service and its logger`,
    figure: mb(r.secondKb),
    baseline: `after ${r.restarts} restarts ${mb(r.firstKb)} (before any: ${
      mb(r.startKb)
    }; one restart took ${r.roundMs.toFixed(1)} ms)`,
    compare: `${delta >= 0 ? "+" : ""}${mb(delta)}`,
    target: "within 1 MB",
    ok: Math.abs(delta) <= 1024,
  }];
}
