/**
 * The control plane under careless clients, against a real nitro:
 *
 * - memory: nitro with 500 services, and 4 clients that each send 2,000
 *   `list` requests and never read the answers. Resident memory at rest
 *   (the baseline), its peak while they are connected, and 10 s after they
 *   closed, as deltas. Targets: peak ≤ baseline + 64 MB, after ≤ baseline
 *   + 24 MB. Also checks that `nitroctl list` answered throughout.
 * - paths: a service killed while 10 requests naming 150 service paths
 *   each are in flight, with 1,000 services: the time from the kill until
 *   it runs again (its STARTING event with a new pid), next to the same
 *   without requests. Target: ≤ 1 s.
 *
 * ```sh
 * deno run --allow-all tests/bench/control_memory.ts [--services=500] [--path-services=1000]
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
export interface ControlMemoryResult {
  services: number;
  clients: number;
  requests: number;
  /** RSS before the clients connect, kB. */
  baselineKb: number;
  /** Highest RSS seen while they were connected, kB. */
  peakKb: number;
  /** RSS 10 s after they closed, kB. */
  afterKb: number;
  /** `nitroctl list` calls made while they were connected, and failed. */
  lists: number;
  listFailures: number;
  /** Seconds until nitro had dropped every one of them (null: it did not). */
  droppedAfterS: number | null;
  /** Services of the path run. */
  pathServices: number;
  /** Kill → running again with 10 × 150-path requests in flight, ms. */
  restartWithPathsMs: number;
  /** Kill → running again with nothing else going on, ms. */
  restartQuietMs: number;
}

/** Whether nitro closed `conn` (a write fails; blank lines are ignored). */
function dropped(conn: Deno.Conn): Promise<boolean> {
  return conn.write(Uint8Array.of(10)).then(() => false, () => true);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed by nitro.
  }
}

/** Memory under clients that never read. */
async function memoryRun(services: number, clients: number, requests: number) {
  const n = await Nitro.create(downServices(services));
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    for (let i = 0; i < 5; i++) await n.ctl(["list"]);
    await sleep(2000);
    const baselineKb = rssKb(n.pid);
    let peakKb = baselineKb;
    const t0 = performance.now();
    for (let i = 0; i < clients; i++) {
      const conn = await Deno.connect({ transport: "unix", path: n.sock });
      conns.push(conn);
      await conn.write(
        new TextEncoder().encode('{"op":"list"}\n'.repeat(requests)),
      );
    }
    let lists = 0;
    let listFailures = 0;
    let droppedAfterS: number | null = null;
    while (performance.now() - t0 < 60_000) {
      peakKb = Math.max(peakKb, rssKb(n.pid));
      const r = await n.ctl(["list"]);
      lists++;
      if (r.code !== 0) listFailures++;
      peakKb = Math.max(peakKb, rssKb(n.pid));
      if ((await Promise.all(conns.map(dropped))).every((d) => d)) {
        droppedAfterS = (performance.now() - t0) / 1000;
        break;
      }
      await sleep(100);
    }
    for (const c of conns) closeQuietly(c);
    await sleep(10_000);
    return {
      baselineKb,
      peakKb,
      afterKb: rssKb(n.pid),
      lists,
      listFailures,
      droppedAfterS,
    };
  } finally {
    for (const c of conns) closeQuietly(c);
    await n.stop();
  }
}

/** Kill → running again, with or without path requests in flight. */
async function restartRun(services: number, withPaths: boolean) {
  const files = downServices(services);
  files.victim = { run: SLEEP };
  const n = await Nitro.create(files);
  // A short way to the services: 150 paths fit in a 4 KiB request.
  const short = `/tmp/n${crypto.randomUUID().slice(0, 6)}`;
  Deno.symlinkSync(n.dir, short);
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    const events = await Deno.connect({ transport: "unix", path: n.sock });
    conns.push(events);
    await events.write(new TextEncoder().encode('{"op":"events"}\n'));
    let pid: number | null = null;
    for (let i = 0; i < 200 && pid === null; i++) {
      const s = JSON.parse((await n.ctl(["--json", "list", "victim"])).stdout);
      if (s[0]?.state === "UP") pid = s[0].pid;
      else await sleep(50);
    }
    if (pid === null) throw new Error("victim never came up");
    await sleep(2500); // Past the crash-loop delay: it restarts at once.
    const paths = Array.from(
      { length: 150 },
      (_, i) => `${short}/s${String(i % services).padStart(4, "0")}`,
    );
    const line = new TextEncoder().encode(
      JSON.stringify({ op: "pidof", services: paths }) + "\n",
    );
    if (withPaths) {
      for (let i = 0; i < 10; i++) {
        const c = await Deno.connect({ transport: "unix", path: n.sock });
        conns.push(c);
        await c.write(line);
      }
    }
    const t0 = performance.now();
    Deno.kill(pid, "SIGKILL");
    const ms = await upAgain(events, pid);
    return ms === null ? Infinity : ms - t0;
  } finally {
    for (const c of conns) closeQuietly(c);
    Deno.removeSync(short);
    await n.stop();
  }
}

/** performance.now() when `victim` runs again: STARTING with a new pid. */
async function upAgain(conn: Deno.Conn, old: number): Promise<number | null> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(65536);
  let text = "";
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const n = await conn.read(buffer);
    if (n === null) return null;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    let nl;
    while ((nl = text.indexOf("\n")) >= 0) {
      const { event } = JSON.parse(text.slice(0, nl));
      text = text.slice(nl + 1);
      // Running again: a new `run` (UP follows by the 2 s readiness timer).
      if (
        event?.name === "victim" && event.state === "STARTING" &&
        event.pid !== null && event.pid !== old
      ) {
        return performance.now();
      }
    }
  }
  return null;
}

/** Measure; everything started is stopped before this resolves. */
export async function controlMemory(
  opts: { services?: number; pathServices?: number } = {},
): Promise<ControlMemoryResult> {
  const services = opts.services ?? 500;
  const pathServices = opts.pathServices ?? 1000;
  const clients = 4;
  const requests = 2000;
  const memory = await memoryRun(services, clients, requests);
  const restartQuietMs = await restartRun(pathServices, false);
  const restartWithPathsMs = await restartRun(pathServices, true);
  return {
    services,
    clients,
    requests,
    ...memory,
    pathServices,
    restartWithPathsMs,
    restartQuietMs,
  };
}

/** The targets. */
const PEAK_MB = 64;
const AFTER_MB = 24;
const RESTART_MS = 1000;

/** One line per figure. */
export function controlMemoryFigures(r: ControlMemoryResult): Figure[] {
  const base = `nitro at rest with ${r.services} services ${mb(r.baselineKb)}`;
  const who =
    `${r.clients} clients sending ${r.requests} lists each, never reading`;
  const delta = (kb: number) => `+${mb(kb - r.baselineKb)}`;
  return [
    {
      what: `nitro's peak memory with ${who}`,
      figure: mb(r.peakKb),
      baseline: base,
      compare: `${delta(r.peakKb)}; nitroctl list answered ${
        r.lists - r.listFailures
      }/${r.lists}; dropped after ${
        r.droppedAfterS === null ? "never" : `${r.droppedAfterS.toFixed(1)} s`
      }`,
      target: `≤ +${PEAK_MB} MB, every list answered, all dropped`,
      ok: r.peakKb - r.baselineKb <= PEAK_MB * 1024 && r.listFailures === 0 &&
        r.droppedAfterS !== null,
    },
    {
      what: `nitro's memory 10 s after those clients closed`,
      figure: mb(r.afterKb),
      baseline: base,
      compare: delta(r.afterKb),
      target: `≤ +${AFTER_MB} MB`,
      ok: r.afterKb - r.baselineKb <= AFTER_MB * 1024,
    },
    {
      what:
        `restart of a killed service with 10 requests of 150 service paths in flight (${r.pathServices} services)`,
      figure: `${r.restartWithPathsMs.toFixed(0)} ms`,
      baseline: `the same restart without requests ${
        r.restartQuietMs.toFixed(0)
      } ms`,
      compare: `+${(r.restartWithPathsMs - r.restartQuietMs).toFixed(0)} ms`,
      target: `≤ ${RESTART_MS} ms`,
      ok: r.restartWithPathsMs <= RESTART_MS,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      services: { type: "string", default: "500" },
      "path-services": { type: "string", default: "1000" },
    },
  });
  const r = await controlMemory({
    services: Number(values.services),
    pathServices: Number(values["path-services"]),
  });
  const figures = controlMemoryFigures(r);
  for (const f of figures) printFigure(f);
  Deno.exit(figures.every((f) => f.ok !== false) ? 0 : 1);
}
