/**
 * What an idle nitro costs: its resident memory with 100 and 2,000
 * sleeping services, and its CPU time over idle seconds, against an idle
 * Deno listener started with the same flags in the same run (the floor any
 * Deno daemon pays).
 *
 * Each size is started `runs` times. Each time, the resident set is read
 * twice: one second after every service is UP ("after boot"), and at rest:
 * after `idle` more seconds, and no sooner than {@link REST_AFTER_START_S}
 * after nitro started. In between, V8's memory reducer gives back what the
 * boot's garbage grew the heap by. V8 does not start it in a process's
 * first 30 s (`--gc-memory-reducer-start-delay-ms`), and then only once
 * the allocation rate is low; an idle supervisor spends its life after
 * it. The targets are on the median at rest.
 *
 * Targets: ≤ 45 MB at 100 services, ≤ 52 MB at 2,000, 0 CPU ticks idle.
 *
 * ```sh
 * deno task bench memory [--sizes=100,2000] [--idle=15] [--memory-runs=3]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import {
  cpuTicks,
  type Figure,
  mb,
  median,
  Nitro,
  rssKb,
  sleep,
  startTree,
  stopTree,
  times,
  waitAllUp,
} from "./common.ts";

/**
 * Seconds after nitro's start before the reading at rest: V8's memory
 * reducer may not run in the first 30 s, and its collection takes a moment.
 */
export const REST_AFTER_START_S = 40;

/** RSS targets per service count, in MB. */
export const RSS_TARGET_MB: Record<number, number> = { 100: 45, 2000: 52 };

/** nitro's RSS with one number of services, over the runs, kB. */
export interface SizeResult {
  /** One second after every service was UP, per run. */
  afterBoot: number[];
  /** After the idle seconds, per run. */
  atRest: number[];
}

/** Figures of the memory section. */
export interface MemoryResult {
  /** RSS of an idle Deno listener with the daemon's flags, kB. */
  baselineKb: number;
  /** nitro's RSS per service count. */
  rssKb: Record<number, SizeResult>;
  /** CPU ticks of nitro (smallest size, first run) over `idleSeconds`. */
  idleTicks: number;
  idleSeconds: number;
  runs: number;
}

/**
 * RSS of `deno run` with the daemon's flags, listening on a Unix socket
 * and doing nothing else, after `settleMs`.
 */
export async function idleListenerKb(settleMs = 1500): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "nitro-bench-" });
  const script = join(root, "listener.ts");
  Deno.writeTextFileSync(
    script,
    `const l = Deno.listen({ transport: "unix", path: ${
      JSON.stringify(join(root, "sock"))
    } });\nfor await (const c of l) c.close();\n`,
  );
  const tree = startTree(
    [Deno.execPath(), "run", "--quiet", ...PERMISSIONS.nitro, script],
    {
      env: { ...RUN_ENV, PATH: Deno.env.get("PATH") ?? "" },
      output: join(root, "out"),
    },
  );
  try {
    await sleep(settleMs);
    return rssKb(tree.pid);
  } finally {
    await stopTree(tree);
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** One start of nitro with `count` services: RSS after boot and at rest. */
async function nitroAt(
  count: number,
  idleSeconds: number,
): Promise<{ afterBoot: number; atRest: number; ticks: number }> {
  const names = Array.from({ length: count }, (_, i) => `svc${i + 1}`);
  const n = await Nitro.create(
    Object.fromEntries(
      names.map((s) => [s, { run: "#!/bin/sh\nexec sleep 100000\n" }]),
    ),
  );
  try {
    const started = performance.now();
    await n.start();
    await waitAllUp(n.sock, names);
    // Let the start-up settle (the clients that just talked to it).
    await sleep(1000);
    const afterBoot = rssKb(n.pid);
    const before = cpuTicks(n.pid);
    await sleep(idleSeconds * 1000);
    // CPU over the idle seconds only: the memory reducer's collection,
    // which may come later, is work an idle nitro does once.
    const ticks = cpuTicks(n.pid) - before;
    const untilRest = started + REST_AFTER_START_S * 1000 - performance.now();
    if (untilRest > 0) await sleep(untilRest);
    return { afterBoot, atRest: rssKb(n.pid), ticks };
  } finally {
    await n.stop();
  }
}

/** Run the memory section. */
export async function memory(
  opts: { sizes?: number[]; idleSeconds?: number; runs?: number } = {},
): Promise<MemoryResult> {
  const sizes = opts.sizes ?? [100, 2000];
  const idleSeconds = opts.idleSeconds ?? 15;
  const runs = Math.max(1, opts.runs ?? 3);
  const baselineKb = await idleListenerKb();
  const rss: Record<number, SizeResult> = {};
  let idleTicks = 0;
  for (const [i, count] of sizes.entries()) {
    rss[count] = { afterBoot: [], atRest: [] };
    for (let run = 0; run < runs; run++) {
      console.error(`memory: nitro with ${count} services, run ${run + 1}`);
      const r = await nitroAt(count, idleSeconds);
      rss[count].afterBoot.push(r.afterBoot);
      rss[count].atRest.push(r.atRest);
      if (i === 0 && run === 0) idleTicks = r.ticks;
    }
  }
  return { baselineKb, rssKb: rss, idleTicks, idleSeconds, runs };
}

/** "45.1 MB (runs: 44.9–45.3 MB)": the median and the range of `kbs`. */
function medianAndRange(kbs: number[]): string {
  if (kbs.length === 1) return mb(kbs[0]);
  const range = `${(Math.min(...kbs) / 1024).toFixed(1)}–${
    mb(Math.max(...kbs))
  }`;
  return `${mb(median(kbs))} (runs: ${range})`;
}

/** The section's figures, one per line. */
export function memoryFigures(r: MemoryResult): Figure[] {
  const base = `an idle Deno listener with nitro's flags ${mb(r.baselineKb)}`;
  /** One reading over the runs, with the target (if any) on its median. */
  const reading = (
    count: string,
    when: string,
    kbs: number[],
    targetMb?: number,
  ): Figure => {
    const kb = median(kbs);
    return {
      what: `nitro's resident memory with ${count} sleeping services, ` +
        `${when}, median of ${r.runs}`,
      figure: medianAndRange(kbs),
      baseline: base,
      compare: `+${mb(kb - r.baselineKb)}, ${times(kb, r.baselineKb)}`,
      ...(targetMb === undefined
        ? {}
        : { target: `≤ ${targetMb} MB`, ok: kb <= targetMb * 1024 }),
    };
  };
  const figures: Figure[] = [];
  for (const [count, size] of Object.entries(r.rssKb)) {
    figures.push(
      reading(
        count,
        `at rest (≥ ${r.idleSeconds + 1} s after all were UP, ` +
          `≥ ${REST_AFTER_START_S} s after start)`,
        size.atRest,
        RSS_TARGET_MB[Number(count)],
      ),
      reading(count, "1 s after all were UP", size.afterBoot),
    );
  }
  const first = Object.keys(r.rssKb)[0];
  figures.push({
    what: `nitro's CPU time over ${r.idleSeconds} idle s (${first} services)`,
    figure: `${r.idleTicks} ticks`,
    baseline: "none (an idle process uses 0)",
    compare: `${r.idleTicks} ticks more`,
    target: "0 ticks",
    ok: r.idleTicks === 0,
  });
  return figures;
}
