/**
 * The control plane under request floods, against a real nitro:
 *
 * - waits: 64 clients each pipelining 20,000 `wait` requests for a service
 *   that stays DOWN (waits that cannot finish), and never reading. Resident
 *   memory at rest (the baseline), its peak during the flood, and 10 s
 *   after the clients closed, as deltas; `nitroctl list` during the flood
 *   (no lockout: the table is full of waiting clients). Targets: peak ≤
 *   baseline + 64 MB, after ≤ baseline + 24 MB, list answered.
 * - rescans: nitro with 3,000 services and one client pipelining 200
 *   `rescan` requests: how long an unrelated `list` takes meanwhile, next
 *   to the same list at rest. Target: ≤ 1 s.
 *
 * ```sh
 * deno run --allow-all tests/bench/control_flood.ts [--clients=64] [--waits=20000] [--rescan-services=3000]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  downServices,
  type Figure,
  mb,
  Nitro,
  printFigure,
  rssKb,
  SLEEP,
  sleep,
} from "./common.ts";

/** Figures of one run. */
export interface ControlFloodResult {
  clients: number;
  waits: number;
  /** RSS before the flood, kB. */
  baselineKb: number;
  /** Highest RSS seen during the flood, kB. */
  peakKb: number;
  /** RSS 10 s after the flooding clients closed, kB. */
  afterKb: number;
  /** `nitroctl list` during the flood: exit status, and ms it took. */
  listCode: number;
  listMs: number;
  /** Services of the rescan run. */
  rescanServices: number;
  rescans: number;
  /** A `list` request while the rescans are pipelined, ms. */
  listDuringRescansMs: number;
  /** The same request at rest, ms. */
  listQuietMs: number;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed by nitro.
  }
}

/** Write all of `bytes`, giving up quietly when nitro closes. */
async function flood(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  try {
    for (let off = 0; off < bytes.length;) {
      off += await conn.write(bytes.subarray(off));
    }
  } catch {
    // Dropped, or closed by the benchmark.
  }
}

/** ms one `list` request takes on a fresh connection. */
async function timedList(sock: string): Promise<number> {
  const t0 = performance.now();
  const conn = await Deno.connect({ transport: "unix", path: sock });
  try {
    await conn.write(new TextEncoder().encode('{"id":1,"op":"list"}\n'));
    const buffer = new Uint8Array(1 << 16);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("nitro closed the connection");
      if (buffer.subarray(0, n).includes(10)) break;
    }
    return performance.now() - t0;
  } finally {
    closeQuietly(conn);
  }
}

/** Memory and lockout under waits that cannot finish. */
async function waitRun(clients: number, waits: number) {
  const n = await Nitro.create({ idle: { run: SLEEP, down: "" } });
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    for (let i = 0; i < 5; i++) await n.ctl(["list"]);
    await sleep(2000);
    const baselineKb = rssKb(n.pid);
    let peakKb = baselineKb;
    const line = JSON.stringify({ op: "wait", services: ["idle"], wait: "up" });
    const bytes = new TextEncoder().encode(`${line}\n`.repeat(waits));
    const writers: Promise<void>[] = [];
    for (let i = 0; i < clients; i++) {
      const conn = await Deno.connect({ transport: "unix", path: n.sock });
      conns.push(conn);
      writers.push(flood(conn, bytes));
    }
    const t0 = performance.now();
    while (performance.now() - t0 < 10_000) {
      peakKb = Math.max(peakKb, rssKb(n.pid));
      await sleep(200);
    }
    const listStart = performance.now();
    const list = await n.ctl(["list"]);
    const listMs = performance.now() - listStart;
    peakKb = Math.max(peakKb, rssKb(n.pid));
    for (const c of conns) closeQuietly(c);
    await Promise.all(writers);
    await sleep(10_000);
    return {
      baselineKb,
      peakKb,
      afterKb: rssKb(n.pid),
      listCode: list.code,
      listMs,
    };
  } finally {
    for (const c of conns) closeQuietly(c);
    await n.stop();
  }
}

/** A `list` while one client pipelines `rescans` rescans. */
async function rescanRun(services: number, rescans: number) {
  const n = await Nitro.create(downServices(services));
  let conn: Deno.Conn | null = null;
  try {
    await n.start();
    for (let i = 0; i < 3; i++) await timedList(n.sock);
    const listQuietMs = await timedList(n.sock);
    conn = await Deno.connect({ transport: "unix", path: n.sock });
    await conn.write(
      new TextEncoder().encode('{"op":"rescan"}\n'.repeat(rescans)),
    );
    await sleep(100); // The rescans are under way.
    const listDuringRescansMs = await timedList(n.sock);
    return { listQuietMs, listDuringRescansMs };
  } finally {
    if (conn !== null) closeQuietly(conn);
    await n.stop();
  }
}

/** Measure; everything started is stopped before this resolves. */
export async function controlFlood(
  opts: { clients?: number; waits?: number; rescanServices?: number } = {},
): Promise<ControlFloodResult> {
  const clients = opts.clients ?? 64;
  const waits = opts.waits ?? 20_000;
  const rescanServices = opts.rescanServices ?? 3000;
  const rescans = 200;
  const memory = await waitRun(clients, waits);
  const latency = await rescanRun(rescanServices, rescans);
  return { clients, waits, ...memory, rescanServices, rescans, ...latency };
}

/** The targets. */
const PEAK_MB = 64;
const AFTER_MB = 24;
const LIST_MS = 1000;

/** One line per figure. */
export function controlFloodFigures(r: ControlFloodResult): Figure[] {
  const base = `nitro at rest ${mb(r.baselineKb)}`;
  const who = `${r.clients} clients pipelining ${r.waits} waits each ` +
    "that cannot finish, never reading";
  const delta = (kb: number) => `+${mb(kb - r.baselineKb)}`;
  return [
    {
      what: `nitro's peak memory with ${who}`,
      figure: mb(r.peakKb),
      baseline: base,
      compare: delta(r.peakKb),
      target: `≤ +${PEAK_MB} MB`,
      ok: r.peakKb - r.baselineKb <= PEAK_MB * 1024,
    },
    {
      what: "nitro's memory 10 s after those clients closed",
      figure: mb(r.afterKb),
      baseline: base,
      compare: delta(r.afterKb),
      target: `≤ +${AFTER_MB} MB`,
      ok: r.afterKb - r.baselineKb <= AFTER_MB * 1024,
    },
    {
      what: `nitroctl list with ${who}`,
      figure: r.listCode === 0 ? "answered" : `exit ${r.listCode}`,
      baseline: "no lockout",
      compare: `${r.listMs.toFixed(0)} ms`,
      target: "answered",
      ok: r.listCode === 0,
    },
    {
      what:
        `a list request while one client pipelines ${r.rescans} rescans (${r.rescanServices} services)`,
      figure: `${r.listDuringRescansMs.toFixed(0)} ms`,
      baseline: `the same list at rest ${r.listQuietMs.toFixed(0)} ms`,
      compare: `+${(r.listDuringRescansMs - r.listQuietMs).toFixed(0)} ms`,
      target: `≤ ${LIST_MS} ms`,
      ok: r.listDuringRescansMs <= LIST_MS,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      clients: { type: "string", default: "64" },
      waits: { type: "string", default: "20000" },
      "rescan-services": { type: "string", default: "3000" },
    },
  });
  const r = await controlFlood({
    clients: Number(values.clients),
    waits: Number(values.waits),
    rescanServices: Number(values["rescan-services"]),
  });
  const figures = controlFloodFigures(r);
  for (const f of figures) printFigure(f);
  Deno.exit(figures.every((f) => f.ok !== false) ? 0 : 1);
}
