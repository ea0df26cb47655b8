/**
 * How the costs grow with the number of services: nitro and s6 at N = 100,
 * 1,000, 5,000 and 10,000 (runit and supervisord up to 1,000: runsvdir
 * refuses more; C nitro up to its limit of 498), every figure of {@link measure} at every N, in one
 * run. The figures become a table, a log–log chart (chart.ts) and the
 * targets of the issue, checked against this same run:
 *
 * - at the largest N: boot no slower than s6's; PSS ≤ 80 MB; `list` ≤ 250
 *   ms; `rescan` with nothing changed ≤ 150 ms; shutdown ≤ 3 s beyond the
 *   services' own exit (they exit at once on SIGTERM);
 * - restart latency at the largest N within 5 ms of the latency at 100;
 * - restart latency at 100 within 2 ms of C nitro's.
 *
 * ```sh
 * deno task bench scale [--scale-sizes=100,1000,5000,10000]
 *   [--scale-peers=nitro,c,s6,runit,supervisord] [--kills=20]
 *   [--profile=DIR]   # nitro under --cpu-prof, a profile per N in DIR
 * ```
 *
 * @module
 */

import type { Figure } from "./common.ts";
import type { Panel } from "./chart.ts";
import {
  C_NITRO,
  ensurePidRoom,
  findPeers,
  LIMITS,
  measure,
  openFilesLimit,
  type PeerResult,
  SELF,
} from "./supervisors.ts";

/** supervisord past this many programs takes minutes to boot. */
const SUPERVISORD_MAX = 1000;

/** Outcome of the scale section. */
export interface ScaleResult {
  sizes: number[];
  results: PeerResult[];
  absent: { peer: string; install: string }[];
  /** Limits raised for the run, as said to the user. */
  limits: string[];
}

/** Options of {@link scale}. */
export interface ScaleOptions {
  sizes?: number[];
  /** Peer keys (nitro, c, s6, runit, supervisord). */
  peers?: string[];
  kills?: number;
  listRuns?: number;
  queries?: number;
  /** Write nitro's CPU profiles here (`deno run --cpu-prof`). */
  profileDir?: string;
}

/** Run every peer at every size (each where its limits allow). */
export async function scale(opts: ScaleOptions = {}): Promise<ScaleResult> {
  const sizes = opts.sizes ?? [100, 1000, 5000, 10_000];
  const { present, absent } = await findPeers(
    opts.peers ?? ["nitro", "c", "s6", "runit", "supervisord"],
  );
  const limits = [
    `open files: ${openFilesLimit()} for each supervisor (asked for ${LIMITS.openFiles})`,
  ];
  const pids = ensurePidRoom(Math.max(...sizes));
  if (pids !== null) limits.push(pids);
  const results: PeerResult[] = [];
  for (const n of sizes) {
    for (const peer of present) {
      const max = peer.name === "supervisord"
        ? SUPERVISORD_MAX
        : peer.maxServices ?? Infinity;
      if (n > max) continue;
      console.error(`scale: ${peer.name}, ${n} services`);
      const flags = opts.profileDir === undefined ? [] : [
        "--cpu-prof",
        `--cpu-prof-dir=${opts.profileDir}`,
        `--cpu-prof-name=nitro-${n}.cpuprofile`,
      ];
      const result = await measure(peer, n, {
        queries: opts.queries ?? 5,
        listRuns: opts.listRuns ?? 3,
        kills: opts.kills ?? 20,
        denoFlags: flags,
      });
      // As it comes: a run cut short still leaves its figures.
      console.error(`scale: ${JSON.stringify(result)}`);
      results.push(result);
    }
  }
  return { sizes, results, absent, limits };
}

/** Milliseconds for a reader: "12.3 ms", "4.56 s"; "—" for none. */
export function duration(x: number | null): string {
  if (x === null) return "—";
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
}

/** kB as megabytes for a reader; "—" for none. */
export function megabytes(kb: number | null): string {
  return kb === null ? "—" : `${(kb / 1024).toFixed(1)} MB`;
}

/** A tick of a duration axis: "100 ms", "2 s". */
function durationTick(x: number): string {
  return x >= 1000
    ? `${Number((x / 1000).toPrecision(3))} s`
    : `${Number(x.toPrecision(3))} ms`;
}

/** A tick of a memory axis (MB): "0.1 MB", "20 MB". */
function mbTick(x: number): string {
  return `${Number(x.toPrecision(3))} MB`;
}

/** The columns of the scale table and chart, in order. */
const COLUMNS: {
  key: keyof PeerResult;
  title: string;
  /** Value in the unit `format` takes. */
  value: (r: PeerResult) => number | null;
  format: (v: number) => string;
  tick?: (v: number) => string;
}[] = [
  {
    key: "bootMs",
    title: "boot to all running",
    value: (r) => r.bootMs,
    format: duration,
  },
  {
    key: "pssKb",
    title: "memory of the supervision (PSS)",
    value: (r) => r.pssKb === null ? null : r.pssKb / 1024,
    format: (x) => megabytes(x * 1024),
    tick: mbTick,
  },
  {
    key: "bootCpuS",
    title: "CPU time of the supervision for the boot",
    value: (r) => r.bootCpuS === null ? null : r.bootCpuS * 1000,
    format: duration,
  },
  {
    key: "listMs",
    title: "list every service",
    value: (r) => r.listMs,
    format: duration,
  },
  {
    key: "rescanMs",
    title: "rescan, nothing changed",
    value: (r) => r.rescanMs,
    format: duration,
  },
  {
    key: "restartMs",
    title: "restart after kill -9",
    value: (r) => r.restartMs,
    format: duration,
  },
  {
    key: "restartCpuMs",
    title: "CPU time of the supervision per restart",
    value: (r) => r.restartCpuMs,
    format: duration,
  },
  {
    key: "shutdownMs",
    title: "shutdown until all gone",
    value: (r) => r.shutdownMs,
    format: duration,
  },
];

/** The figures as a Markdown table: one row per size and supervisor. */
export function scaleTable(results: readonly PeerResult[]): string {
  const rows = [
    `| services | supervisor | ${COLUMNS.map((c) => c.title).join(" | ")} |`,
    `| ---: | --- | ${COLUMNS.map(() => "---:").join(" | ")} |`,
  ];
  for (const r of results) {
    const cells = r.error
      ? [`failed: ${r.error.split("\n")[0]}`, ...COLUMNS.slice(1).map(() => "")]
      : COLUMNS.map((c) => {
        const v = c.value(r);
        return v === null ? "—" : c.format(v);
      });
    rows.push(
      `| ${r.services.toLocaleString("en")} | ${r.peer} | ${
        cells.join(" | ")
      } |`,
    );
  }
  return rows.join("\n");
}

/** One chart panel per column, one line per supervisor. */
export function scalePanels(results: readonly PeerResult[]): Panel[] {
  const peers = [...new Set(results.map((r) => r.peer))];
  return COLUMNS.map((c) => ({
    title: c.title,
    format: c.format,
    tick: c.tick ?? durationTick,
    series: peers.map((name) => ({
      name,
      points: results.filter((r) => r.peer === name && !r.error)
        .map((r) => [r.services, c.value(r)] as [number, number | null])
        .filter((p): p is [number, number] => p[1] !== null),
    })),
  }));
}

/** The targets, checked against one run's figures. */
export function scaleFigures(results: readonly PeerResult[]): Figure[] {
  const ok = results.filter((r) => !r.error);
  const of = (peer: string, n: number) =>
    ok.find((r) => r.peer === peer && r.services === n);
  const nitroSizes = ok.filter((r) => r.peer === SELF).map((r) => r.services);
  if (nitroSizes.length === 0) return [];
  const big = Math.max(...nitroSizes);
  const self = of(SELF, big)!;
  const s6 = of("s6", big);
  const at = `${big.toLocaleString("en")} services`;
  const figures: Figure[] = [];
  const limit = (
    what: string,
    v: number | null,
    max: number,
    fmt: (x: number) => string,
    baseline: string,
  ) => {
    if (v === null) return;
    figures.push({
      what: `${what}, ${at}`,
      figure: `nitro ${fmt(v)}`,
      baseline,
      compare: v <= max
        ? `${fmt(max - v)} to spare`
        : `over by ${fmt(v - max)}`,
      target: `≤ ${fmt(max)}`,
      ok: v <= max,
    });
  };
  if (self.bootMs !== null && s6?.bootMs) {
    figures.push({
      what: `boot to all running, ${at}`,
      figure: `nitro ${duration(self.bootMs)}`,
      baseline: `s6 ${duration(s6.bootMs)}`,
      compare: `${(self.bootMs / s6.bootMs).toFixed(2)}×`,
      target: "≤ s6's",
      ok: self.bootMs <= s6.bootMs,
    });
  }
  const runitPss = of("runit", big)?.pssKb ?? null;
  const s6Pss = s6?.pssKb ?? null;
  limit(
    "memory of the supervision (PSS)",
    self.pssKb,
    80 * 1024,
    megabytes,
    `s6 ${megabytes(s6Pss)}, runit ${megabytes(runitPss)}`,
  );
  limit(
    "`nitroctl list`",
    self.listMs,
    250,
    duration,
    `s6-svstat of each ${duration(s6?.listMs ?? null)}, sv status of all ${
      duration(of("runit", big)?.listMs ?? null)
    }`,
  );
  limit(
    "`nitroctl rescan`, nothing changed",
    self.rescanMs,
    150,
    duration,
    "none synchronous in s6 or runit",
  );
  limit(
    "shutdown until all gone (services exit at once on SIGTERM)",
    self.shutdownMs,
    3000,
    duration,
    `s6 ${duration(s6?.shutdownMs ?? null)}, runit ${
      duration(of("runit", big)?.shutdownMs ?? null)
    }`,
  );
  const small = of(SELF, 100);
  if (small?.restartMs != null && self.restartMs !== null && big !== 100) {
    figures.push({
      what: `restart after kill -9, ${at}`,
      figure: `nitro ${duration(self.restartMs)}`,
      baseline: `nitro at 100 services ${duration(small.restartMs)}`,
      compare: `${signed(self.restartMs - small.restartMs)}`,
      target: "≤ at 100 + 5 ms",
      ok: self.restartMs <= small.restartMs + 5,
    });
  }
  const c = of(C_NITRO, 100);
  if (small?.restartMs != null && c?.restartMs != null) {
    figures.push({
      what: "restart after kill -9, 100 services",
      figure: `nitro ${duration(small.restartMs)}`,
      baseline: `C nitro ${duration(c.restartMs)}`,
      compare: signed(small.restartMs - c.restartMs),
      target: "≤ C nitro's + 2 ms",
      ok: small.restartMs <= c.restartMs + 2,
    });
  }
  if (small?.restartCpuMs != null && c?.restartCpuMs != null) {
    figures.push({
      what: "CPU time per restart, 100 services",
      figure: `nitro ${duration(small.restartCpuMs)}`,
      baseline: `C nitro ${duration(c.restartCpuMs)}`,
      compare: `${(small.restartCpuMs / c.restartCpuMs).toFixed(1)}×`,
    });
  }
  return figures;
}

function signed(ms: number): string {
  return `${ms >= 0 ? "+" : "−"}${duration(Math.abs(ms))}`;
}
