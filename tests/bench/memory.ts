/**
 * What an idle nitro costs: its resident memory with 100 and 2,000
 * sleeping services, and its CPU time over idle seconds, against an idle
 * Deno listener started with the same flags in the same run (the floor any
 * Deno daemon pays).
 *
 * Targets: ≤ 45 MB at 100 services, ≤ 52 MB at 2,000, 0 CPU ticks idle.
 *
 * ```sh
 * deno task bench memory [--sizes=100,2000] [--idle=10]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS } from "../../ci/permissions.ts";
import {
  cpuTicks,
  type Figure,
  mb,
  Nitro,
  rssKb,
  sleep,
  startTree,
  stopTree,
  times,
  waitAllUp,
} from "./common.ts";

/** RSS targets per service count, in MB. */
export const RSS_TARGET_MB: Record<number, number> = { 100: 45, 2000: 52 };

/** Figures of the memory section. */
export interface MemoryResult {
  /** RSS of an idle Deno listener with the daemon's flags, kB. */
  baselineKb: number;
  /** nitro's RSS per service count, kB. */
  rssKb: Record<number, number>;
  /** CPU ticks of nitro (smallest size) over `idleSeconds` idle. */
  idleTicks: number;
  idleSeconds: number;
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
    { env: { PATH: Deno.env.get("PATH") ?? "" }, output: join(root, "out") },
  );
  try {
    await sleep(settleMs);
    return rssKb(tree.pid);
  } finally {
    await stopTree(tree);
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** nitro's RSS with `count` services all UP; CPU over `idleSeconds`. */
async function nitroAt(
  count: number,
  idleSeconds: number,
): Promise<{ rss: number; ticks: number }> {
  const names = Array.from({ length: count }, (_, i) => `svc${i + 1}`);
  const n = await Nitro.create(
    Object.fromEntries(
      names.map((s) => [s, { run: "#!/bin/sh\nexec sleep 100000\n" }]),
    ),
  );
  try {
    await n.start();
    await waitAllUp(n.sock, names);
    // Let the start-up settle (the clients that just talked to it).
    await sleep(1000);
    const before = cpuTicks(n.pid);
    await sleep(idleSeconds * 1000);
    const ticks = cpuTicks(n.pid) - before;
    return { rss: rssKb(n.pid), ticks };
  } finally {
    await n.stop();
  }
}

/** Run the memory section. */
export async function memory(
  opts: { sizes?: number[]; idleSeconds?: number } = {},
): Promise<MemoryResult> {
  const sizes = opts.sizes ?? [100, 2000];
  const idleSeconds = opts.idleSeconds ?? 10;
  const baselineKb = await idleListenerKb();
  const rss: Record<number, number> = {};
  let idleTicks = 0;
  for (const [i, count] of sizes.entries()) {
    console.error(`memory: nitro with ${count} services`);
    const r = await nitroAt(count, i === 0 ? idleSeconds : 1);
    rss[count] = r.rss;
    if (i === 0) idleTicks = r.ticks;
  }
  return { baselineKb, rssKb: rss, idleTicks, idleSeconds };
}

/** The section's figures, one per line. */
export function memoryFigures(r: MemoryResult): Figure[] {
  const base = `an idle Deno listener with nitro's flags ${mb(r.baselineKb)}`;
  const figures: Figure[] = Object.entries(r.rssKb).map(([count, kb]) => {
    const target = RSS_TARGET_MB[Number(count)];
    return {
      what: `nitro's resident memory with ${count} sleeping services`,
      figure: mb(kb),
      baseline: base,
      compare: `+${mb(kb - r.baselineKb)}, ${times(kb, r.baselineKb)}`,
      ...(target === undefined
        ? {}
        : { target: `≤ ${target} MB`, ok: kb <= target * 1024 }),
    };
  });
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
