/**
 * nitro beside its peers: C nitro (built from `$NITRO_C_DIR`; up to 498
 * services, its table's limit), runit, s6, supervisord and tini
 * (whichever are installed), each supervising the same N services on this
 * machine, in the same run, for N = 100, 500 and 1,000. How each figure is
 * taken is said in supervisors.ts; this section prints boot, memory, one
 * status query, restart latency and the CPU time of a restart.
 *
 * ```sh
 * deno task bench peers [--peer-sizes=100,500,1000] [--queries=15]
 *   [--kills=20] [--peers=nitro,c,s6,…]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { type Figure, median, times } from "./common.ts";
import { duration as ms, megabytes as mbOf } from "./scale.ts";
import {
  C_NITRO,
  findPeers,
  measure,
  PEER_KEYS,
  type PeerResult,
  SELF,
  timeCommand,
} from "./supervisors.ts";

export type { PeerResult };

/** Outcome of the whole peer comparison. */
export interface PeersResult {
  results: PeerResult[];
  absent: { peer: string; install: string }[];
  /** Median wall time of an empty `deno run` with nitroctl's flags, ms. */
  denoFloorMs: number | null;
}

/** Median wall time of an empty `deno run` (nitroctl's floor), ms. */
async function denoFloor(runs: number): Promise<number | null> {
  const root = await Deno.makeTempDir({ prefix: "nitro-peers-" });
  try {
    const empty = join(root, "empty.ts");
    Deno.writeTextFileSync(empty, "");
    const argv = [
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMISSIONS.nitroctl,
      empty,
    ];
    const env = { ...RUN_ENV, PATH: Deno.env.get("PATH") ?? "" };
    await timeCommand(argv, env); // Warm up.
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = await timeCommand(argv, env);
      if (t !== null) ms.push(t);
    }
    return ms.length > 0 ? median(ms) : null;
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** Run every installed peer at every size (each up to its limit). */
export async function peers(
  opts: {
    sizes?: number[];
    queries?: number;
    kills?: number;
    /** Only these peers (nitro, c, runit, s6, supervisord, tini). */
    only?: string[];
  } = {},
): Promise<PeersResult> {
  const sizes = opts.sizes ?? [100, 500, 1000];
  const queries = opts.queries ?? 15;
  const kills = opts.kills ?? 20;
  const { present, absent } = await findPeers(
    opts.only?.length ? opts.only : PEER_KEYS,
  );
  const results: PeerResult[] = [];
  for (const n of sizes) {
    for (const peer of present) {
      if (n > (peer.maxServices ?? Infinity)) continue;
      console.error(`peers: ${peer.name}, ${n} services`);
      results.push(await measure(peer, n, { queries, listRuns: 3, kills }));
    }
  }
  return { results, absent, denoFloorMs: await denoFloor(queries) };
}

/** The comparison as a Markdown table, one row per peer and size. */
export function peersTable(r: PeersResult): string {
  const rows = [
    "| supervisor | services | boot to all running | memory: PSS (RSS) | status query | restart after kill -9 | CPU per restart |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const x of r.results) {
    const procs = x.supervisorProcesses > 1
      ? ` (${x.supervisorProcesses} processes)`
      : "";
    rows.push(
      `| ${x.peer} | ${x.services} | ${x.error ? "failed" : ms(x.bootMs)} | ${
        mbOf(x.pssKb)
      } (${mbOf(x.rssKb)})${procs} | ${ms(x.statusMs)} | ${ms(x.restartMs)} | ${
        ms(x.restartCpuMs)
      } |`,
    );
  }
  for (const a of r.absent) {
    rows.push(`| ${a.peer} | — | absent: ${a.install} | | | | |`);
  }
  return rows.join("\n");
}

/**
 * nitro's figures against s6's from the same run (the reference;
 * the best other peer when s6 is absent; C nitro's for restarts, at the
 * sizes it ran), one per size and column, with
 * the targets: boot of 1,000 services ≤ s6's; restart no slower than the
 * fastest peer's plus the measurement floor (5 ms: the 1-ms poll of the
 * "started" file and the scheduling of a loaded machine).
 */
export function peersFigures(r: PeersResult): Figure[] {
  const figures: Figure[] = [];
  const sizes = [...new Set(r.results.map((x) => x.services))];
  type Key = "bootMs" | "pssKb" | "statusMs" | "restartMs" | "restartCpuMs";
  const columns: { key: Key; what: string; fmt: (v: number) => string }[] = [
    { key: "bootMs", what: "boot to all running", fmt: ms },
    { key: "pssKb", what: "memory of the supervision (PSS)", fmt: mbOf },
    { key: "statusMs", what: "one status query", fmt: ms },
    { key: "restartMs", what: "restart after kill -9", fmt: ms },
    { key: "restartCpuMs", what: "CPU time per restart", fmt: ms },
  ];
  for (const n of sizes) {
    const here = r.results.filter((x) => x.services === n && !x.error);
    const self = here.find((x) => x.peer === SELF);
    if (!self) continue;
    for (const c of columns) {
      const v = self[c.key];
      const others = here.filter((x) => x !== self && x[c.key] !== null);
      if (v === null || others.length === 0) continue;
      const best = others.reduce((a, b) => a[c.key]! <= b[c.key]! ? a : b);
      // A restart is compared with C nitro's where it ran, else with s6's.
      const ref = (c.key.startsWith("restart")
        ? others.find((x) =>
          x.peer === C_NITRO
        )
        : undefined) ?? others.find((x) => x.peer === "s6") ?? best;
      const f: Figure = {
        what: `${c.what}, ${n} services`,
        figure: `nitro ${c.fmt(v)}`,
        baseline: `${ref.peer} ${c.fmt(ref[c.key]!)}` +
          (best === ref ? "" : ` (best: ${best.peer} ${c.fmt(best[c.key]!)})`),
        compare: times(v, ref[c.key]!),
      };
      if (c.key === "bootMs" && n === 1000 && ref.peer === "s6") {
        f.target = "≤ s6's";
        f.ok = v <= ref.bootMs!;
      }
      if (c.key === "statusMs" && r.denoFloorMs !== null) {
        f.baseline += `; an empty deno run ${ms(r.denoFloorMs)}`;
      }
      if (c.key === "restartMs") {
        f.target = `≤ ${best.peer}'s + 5 ms`;
        f.ok = v <= best.restartMs! + 5;
      }
      figures.push(f);
    }
  }
  return figures;
}
