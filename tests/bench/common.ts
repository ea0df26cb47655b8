/**
 * Shared pieces of the benchmarks: a real nitro on a temporary directory
 * (the test harness's, started with exactly the table's permissions),
 * /proc readings and small statistics.
 *
 * @module
 */

import { join } from "node:path";
import {
  descendantsOf,
  type ServiceFiles,
  strayFds,
} from "../helpers/nitro.ts";
import { procStat, REPO_ROOT } from "../helpers/common.ts";
import { PERMISSIONS } from "../../ci/permissions.ts";

export {
  descendantsOf,
  Nitro,
  nitroctlArgs,
  writeServices,
} from "../helpers/nitro.ts";
export type { ServiceFiles } from "../helpers/nitro.ts";

/** Root of the repository. */
export const ROOT: string = REPO_ROOT;

/** A `run` that sleeps and dies of the first signal. */
export const SLEEP = "#!/bin/sh\nexec sleep 1000\n";

/** `count` services that stay DOWN: s0000, s0001, … */
export function downServices(count: number): Record<string, ServiceFiles> {
  const services: Record<string, ServiceFiles> = {};
  for (let i = 0; i < count; i++) {
    services[`s${String(i).padStart(4, "0")}`] = { run: SLEEP, down: "" };
  }
  return services;
}

/**
 * Run the daemon once (`nitro --help` loads all of its modules), so that
 * Deno's cache holds their transpiled code. A first run after an edit
 * transpiles in-process and keeps about 4 MB more resident memory, which
 * no installed nitro pays after its first start.
 */
export async function warmDaemon(): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...PERMISSIONS.nitro,
      join(ROOT, "cli/nitro.ts"),
      "--help",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`nitro --help: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Fields of /proc/PID/stat after the command name (index 0 = field 3). */
function statFields(pid: number): string[] {
  const stat = procStat(pid);
  if (stat === null) throw new Error(`no process ${pid}`);
  return stat.fields;
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS of a process, in kB. */
export function rssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Sleep `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run a command to its end; throws with its stderr if it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
  }).output();
  const ms = performance.now() - t0;
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")}: exit ${out.code}\n${dec.decode(out.stderr)}`,
    );
  }
  return { ms, stdout: dec.decode(out.stdout) };
}

/** Proportional set size of a process (its share of shared pages), in kB. */
export function pssKb(pid: number): number {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const m = rollup.match(/^Pss:\s+(\d+) kB/m);
  if (!m) throw new Error(`no Pss for ${pid}`);
  return Number(m[1]);
}

/** The command name of a process (`/proc/PID/comm`), or null if it is gone. */
export function commOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return null;
  }
}

/** One figure against its baseline, as the benchmarks print it. */
export interface Figure {
  /** What was measured, for a user: "nitro's memory with 100 services". */
  what: string;
  /** The figure: "46.9 MB". */
  figure: string;
  /** The baseline from the same run: "an idle Deno listener: 33.1 MB". */
  baseline: string;
  /** How the figure compares: "+13.8 MB, 1.42×". */
  compare: string;
  /** The target, if there is one: "≤ 45 MB". */
  target?: string;
  /** Whether the target is met. */
  ok?: boolean;
}

/** One figure as one line a user can read. */
export function formatFigure(f: Figure): string {
  const target = f.target === undefined
    ? ""
    : `; target ${f.target}: ${f.ok ? "met" : "MISSED"}`;
  return `${f.what}: ${f.figure}; baseline ${f.baseline}; ${f.compare}${target}`;
}

/** Print one figure as one line a user can read. */
export function printFigure(f: Figure): void {
  console.log(formatFigure(f));
}

/** `a / b` as "1.42×". */
export function times(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** Megabytes from kB, one decimal. */
export function mb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MB`;
}

/** A process tree a benchmark started: its root, and how it ended. */
export interface Tree {
  pid: number;
  status: Promise<Deno.CommandStatus>;
  /** Where its stdout and stderr went. */
  output: string;
}

/**
 * Start `argv` in a session of its own, with only fds 0-2 (a supervisor
 * hands what it inherits to its services), stdin from /dev/null and its
 * output appended to `output`, and with `openFiles` as its limit of open
 * files, when given, or the hard limit if that is lower (raising the hard
 * limit takes CAP_SYS_RESOURCE). Returns once it is spawned.
 */
export function startTree(
  argv: string[],
  opts: {
    env: Record<string, string>;
    output: string;
    cwd?: string;
    openFiles?: number;
  },
): Tree {
  const stray = strayFds().map((fd) => `${fd}>&-`).join(" ");
  const limit = opts.openFiles === undefined
    ? ""
    : `ulimit -n ${opts.openFiles} 2>/dev/null || ulimit -n hard; `;
  const child = new Deno.Command("/bin/bash", {
    args: [
      "-c",
      `${limit}exec ${stray} >>"$0" 2>&1 </dev/null; exec "$@"`,
      opts.output,
      ...argv,
    ],
    env: opts.env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  return { pid: child.pid, status: child.status, output: opts.output };
}

/**
 * Kill a tree and everything it started, by pid: stop the root and its
 * descendants first (a stopped supervisor cannot start anything new), then
 * kill them all, and wait for the root.
 */
export async function stopTree(tree: Tree): Promise<void> {
  const signal = (pid: number, sig: Deno.Signal) => {
    try {
      Deno.kill(pid, sig);
    } catch {
      // Gone already.
    }
  };
  signal(tree.pid, "SIGSTOP");
  // Stop what is there, then look again for what was being forked.
  let all: number[] = [];
  for (let i = 0; i < 3; i++) {
    all = descendantsOf(tree.pid);
    for (const pid of all) signal(pid, "SIGSTOP");
  }
  signal(tree.pid, "SIGKILL");
  for (const pid of all) signal(pid, "SIGKILL");
  await tree.status;
}

/**
 * Wait until every named service of the nitro at `sock` is UP, in requests
 * small enough for the protocol's line limit; throws if one is not.
 */
export async function waitAllUp(
  sock: string,
  names: string[],
  ms = 120_000,
): Promise<void> {
  const { NitroClient } = await import("../../mod.ts");
  const client = await NitroClient.connect(sock);
  try {
    for (let i = 0; i < names.length; i += 200) {
      const results = await client.waitFor(names.slice(i, i + 200), "up", {
        signal: AbortSignal.timeout(ms),
      });
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) {
        throw new Error(`not UP: ${failed.map((r) => r.name).join(" ")}`);
      }
    }
  } finally {
    client.close();
  }
}
