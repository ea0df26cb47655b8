/**
 * nitro and its peers (C nitro, runit, s6, supervisord, tini), each
 * supervising the same N services on this machine, measured the same way:
 * what the `peers` and `scale` sections of the bench are made of.
 *
 * Every service is the same bash script: it writes its pid and its own
 * start stamp (`$EPOCHREALTIME`, no fork) into a file of its own, appends
 * one byte to a shared "started" file, then `exec sleep`. So:
 *
 * - boot: from spawning the supervisor to N bytes in "started";
 * - memory: PSS (`/proc/PID/smaps_rollup`) summed over the supervision
 *   processes (nitro; runsvdir + runsv; s6-svscan + s6-supervise;
 *   supervisord; tini), the services excluded, 2.5 s after boot; the
 *   supervision's CPU time for the boot is read then too;
 * - status: median wall time of one status query of one service with the
 *   peer's own tool; list: of a query of all of them; rescan: of a rescan
 *   with nothing changed, where the peer has a synchronous one;
 * - restart: median time from `kill -9` of a service that ran over 2 s to
 *   the start stamp its next run writes (the kill is sent at the start of a
 *   millisecond of the same clock), and the supervision's CPU time per
 *   restart over all the kills;
 * - shutdown: from the peer's own "stop everything" (SIGTERM to nitro, to
 *   supervisord; `s6-svscanctl -t`; SIGHUP to runsvdir) until the
 *   supervisor and every service are gone. The services exit at once on
 *   SIGTERM (`sleep` has no handler).
 *
 * Each peer runs in a temporary directory, in a session of its own, with
 * raised limits (see {@link LIMITS}), and is killed by pid with everything
 * it started. Nothing is installed here: absent peers are listed with the
 * command that installs them.
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { procStat } from "../helpers/common.ts";
import { type CNitro, cNitro, isBuilt } from "../helpers/c_nitro.ts";
import {
  commOf,
  descendantsOf,
  median,
  nitroctlArgs,
  pssKb,
  ROOT,
  rssKb,
  sleep,
  startTree,
  stopTree,
  type Tree,
} from "./common.ts";

/** A supervisor to compare with, and how to drive it. */
export interface Peer {
  name: string;
  /** Executables it needs; the peer is absent if one is missing. */
  needs: string[];
  /** How to install it (Debian). */
  install: string;
  /** The most services it can supervise, if it has a limit. */
  maxServices?: number;
  /** Write its configuration for `names` (dirs under `svc/`). */
  prepare(root: string, names: string[]): void;
  /** Command line that starts it; `flags` are extra flags for Deno. */
  argv(root: string, n: number, flags: string[]): string[];
  /** Extra environment. */
  env?(root: string): Record<string, string>;
  /** Command names of its supervision processes (the root always counts). */
  supervisors: string[];
  /** Command line of one status query of `svc1`, or null if it has none. */
  status(root: string): string[] | null;
  /** The query to use instead if that one fails (an older nitroctl). */
  statusFallback?(root: string): string[];
  /** Command line that lists all `n` services, if it has one. */
  list?(root: string, n: number): string[] | null;
  /** Command line of a synchronous rescan, if it has one. */
  rescan?(root: string): string[];
  /** Begin its orderly stop of everything (null: it has none). */
  stop: ((tree: Tree, root: string) => Promise<void>) | null;
  /** Whether it restarts services at all. */
  restarts: boolean;
}

/** Figures of one peer at one size; null where not measured. */
export interface PeerResult {
  peer: string;
  services: number;
  bootMs: number | null;
  pssKb: number | null;
  /** RSS summed over the same processes (shared pages counted in each). */
  rssKb: number | null;
  supervisorProcesses: number;
  /** CPU time of the supervision from its start to 2.5 s after boot, s. */
  bootCpuS: number | null;
  statusMs: number | null;
  listMs: number | null;
  rescanMs: number | null;
  restartMs: number | null;
  /** CPU time of the supervision per restart, ms. */
  restartCpuMs: number | null;
  shutdownMs: number | null;
  /** The status query used, when not the usual one. */
  statusQuery?: string;
  error?: string;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Status queries timed (median). */
  queries: number;
  /** Runs of list and rescan timed (median). */
  listRuns: number;
  /** Services killed for the restart figures. */
  kills: number;
  /** Deno flags for nitro (e.g. `--cpu-prof`); ignored for the others. */
  denoFlags?: string[];
}

/**
 * Limits raised for every supervisor the bench starts (in its shell, so
 * they hold for it and everything it starts): supervisord needs 4 fds per
 * program, s6-svscan and nitro keep one or more per service. Where the hard
 * limit is lower and cannot be raised, the hard limit is used.
 */
export const LIMITS = { openFiles: 65_536 } as const;

/** The open-files limit a supervisor started now gets, as the shell sets it. */
export function openFilesLimit(): number {
  const out = new Deno.Command("/bin/bash", {
    args: [
      "-c",
      `ulimit -n ${LIMITS.openFiles} 2>/dev/null || ulimit -n hard; ulimit -n`,
    ],
    stdin: "null",
    stderr: "null",
  }).outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** How this project is named in tables. */
export const SELF = "nitro (this)";
/** How C nitro is named in tables. */
export const C_NITRO = "C nitro";

const NITRO_CLI = join(ROOT, "cli/nitro.ts");

/** A peer that has not started every service by then has failed. */
function bootLimitMs(n: number): number {
  return Math.max(90_000, n * 60);
}

/** The service script, shared by every peer. */
function runScript(state: string, name: string): string {
  return `#!/bin/bash\necho "$$ $EPOCHREALTIME" > ${state}/${name}.pid\n` +
    `printf x >> ${state}/started\nexec sleep 100000\n`;
}

/** Send `signal` to a tree's root; gone already is fine. */
function signalRoot(signal: Deno.Signal) {
  return (tree: Tree) => {
    try {
      Deno.kill(tree.pid, signal);
    } catch {
      // Gone already.
    }
    return Promise.resolve();
  };
}

/** A shell command line (`sh -c SCRIPT ARGS…`). */
function sh(script: string, ...args: string[]): string[] {
  return ["/bin/sh", "-c", script, ...args];
}

/** This project's nitro. */
const NITRO: Peer = {
  name: SELF,
  needs: [],
  install: "",
  prepare: () => {},
  argv: (root, _n, flags) => [
    Deno.execPath(),
    "run",
    "--quiet",
    ...PERMISSIONS.nitro,
    ...flags,
    NITRO_CLI,
    join(root, "svc"),
  ],
  env: (root) => ({ ...RUN_ENV, NITRO_SOCK: join(root, "nitro.sock") }),
  supervisors: [],
  status: () => [Deno.execPath(), ...nitroctlArgs(["status", "svc1"])],
  statusFallback: () => [Deno.execPath(), ...nitroctlArgs(["pidof", "svc1"])],
  list: () => [Deno.execPath(), ...nitroctlArgs(["list"])],
  rescan: () => [Deno.execPath(), ...nitroctlArgs(["rescan"])],
  stop: signalRoot("SIGTERM"),
  restarts: true,
};

/** C nitro, built from `$NITRO_C_DIR`. */
function cNitroPeer(c: CNitro): Peer {
  return {
    name: C_NITRO,
    needs: [],
    install: "",
    // Its table has room for 500, one of them its own shutdown entry.
    maxServices: 498,
    prepare: () => {},
    argv: (root) => [c.nitro, join(root, "svc")],
    env: (root) => ({ NITRO_SOCK: join(root, "nitro.sock") }),
    supervisors: [],
    status: () => [c.nitroctl, "list", "svc1"],
    list: () => [c.nitroctl, "list"],
    rescan: () => [c.nitroctl, "rescan"],
    stop: signalRoot("SIGTERM"),
    restarts: true,
  };
}

/** Largest N at which s6's list (a process per service) is timed. */
const S6_LIST_MAX = 1000;

const RUNIT: Peer = {
  name: "runit",
  needs: ["runsvdir", "runsv", "sv"],
  install: "apt-get install runit",
  // runsvdir's own limit ("too many services" past it).
  maxServices: 1000,
  prepare: () => {},
  argv: (root) => ["runsvdir", join(root, "svc")],
  supervisors: ["runsv"],
  status: (root) => ["sv", "status", join(root, "svc", "svc1")],
  list: (root) => sh('exec sv status "$0"/*', join(root, "svc")),
  // runsvdir looks at its directory by itself every 5 s: no command.
  // On SIGHUP it sends every runsv a TERM (which stops its service) and
  // exits.
  stop: signalRoot("SIGHUP"),
  restarts: true,
};

const S6: Peer = {
  name: "s6",
  needs: ["s6-svscan", "s6-supervise", "s6-svstat", "s6-svscanctl"],
  install: "apt-get install s6",
  prepare: () => {},
  // Its default limit is 500 service directories.
  argv: (root, n) => ["s6-svscan", "-c", String(n + 100), join(root, "svc")],
  supervisors: ["s6-supervise"],
  status: (root) => ["s6-svstat", join(root, "svc", "svc1")],
  // One s6-svstat per service: s6 has no query of them all. Past 1,000
  // that is minutes of processes per query on a loaded machine: not timed.
  list: (root, n) =>
    n > S6_LIST_MAX
      ? null
      : sh('for d in "$0"/*; do s6-svstat "$d"; done', join(root, "svc")),
  // `s6-svscanctl -a` only sends the request: nothing to time.
  stop: (_tree, root) =>
    new Deno.Command("s6-svscanctl", {
      args: ["-t", join(root, "svc")],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output().then(() => {}),
  restarts: true,
};

const SUPERVISORD: Peer = {
  name: "supervisord",
  needs: ["supervisord", "supervisorctl"],
  install: "apt-get install supervisor",
  prepare: (root, names) => {
    const programs = names.map((name) =>
      `[program:${name}]\ncommand=${join(root, "svc", name, "run")}\n` +
      `directory=${join(root, "svc", name)}\nautorestart=true\n` +
      `startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`
    );
    Deno.writeTextFileSync(
      join(root, "supervisord.conf"),
      `[supervisord]\nnodaemon=true\nlogfile=${root}/supervisord.log\n` +
        `pidfile=${root}/supervisord.pid\nminfds=${4 * names.length + 64}\n` +
        `minprocs=${2 * names.length + 64}\n` +
        `[unix_http_server]\nfile=${root}/supervisor.sock\n` +
        `[supervisorctl]\nserverurl=unix://${root}/supervisor.sock\n` +
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = ` +
        `supervisor.rpcinterface:make_main_rpcinterface\n` +
        programs.join(""),
    );
  },
  argv: (root) => ["supervisord", "-c", join(root, "supervisord.conf")],
  supervisors: [],
  status: (root) => ctl(root, "status", "svc1"),
  list: (root) => ctl(root, "status"),
  rescan: (root) => ctl(root, "update"),
  stop: signalRoot("SIGTERM"),
  restarts: true,
};

function ctl(root: string, ...args: string[]): string[] {
  return ["supervisorctl", "-c", join(root, "supervisord.conf"), ...args];
}

const TINI: Peer = {
  name: "tini",
  needs: ["tini"],
  install: "apt-get install tini",
  // tini runs one child and restarts nothing: a shell starts them all.
  prepare: (root, names) => {
    Deno.writeTextFileSync(
      join(root, "all.sh"),
      names.map((n) => `(cd ${join(root, "svc", n)} && exec ./run) &\n`)
        .join("") + "wait\n",
    );
  },
  argv: (root) => ["tini", "-s", "--", "/bin/sh", join(root, "all.sh")],
  supervisors: [],
  status: () => null,
  stop: null,
  restarts: false,
};

/** The peers by the first word of their name (nitro, c, runit, …). */
export const PEER_KEYS = ["nitro", "c", "runit", "s6", "supervisord", "tini"];

/**
 * The peers asked for (`keys` from {@link PEER_KEYS}), split into those
 * that can run here and those absent, with how to get them.
 */
export async function findPeers(
  keys: readonly string[],
): Promise<{ present: Peer[]; absent: { peer: string; install: string }[] }> {
  const present: Peer[] = [];
  const absent: { peer: string; install: string }[] = [];
  for (const key of keys) {
    if (key === "c") {
      const c = await cNitro();
      if (isBuilt(c)) present.push(cNitroPeer(c));
      else absent.push({ peer: C_NITRO, install: c.reason });
      continue;
    }
    const peer = [NITRO, RUNIT, S6, SUPERVISORD, TINI].find((p) =>
      p.name.split(" ")[0] === key
    );
    if (!peer) throw new Error(`unknown peer ${key} (${PEER_KEYS})`);
    if (peer.needs.every(onPath)) present.push(peer);
    else absent.push({ peer: peer.name, install: peer.install });
  }
  return { present, absent };
}

/** Whether an executable is on PATH. */
function onPath(cmd: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const st = Deno.statSync(join(dir, cmd));
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

/**
 * Make room for `n` services (each a supervisor process and a service
 * process for runit and s6) in the kernel's pid space; returns what was
 * raised, to be said, or null.
 */
export function ensurePidRoom(n: number): string | null {
  const path = "/proc/sys/kernel/pid_max";
  const max = Number(Deno.readTextFileSync(path).trim());
  const inUse =
    [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).length;
  const need = 2 * n + inUse + 4096;
  if (max >= need) return null;
  const raised = Math.max(need, 4 * 32_768);
  try {
    Deno.writeTextFileSync(path, String(raised));
  } catch (err) {
    return `kernel.pid_max is ${max}, below the ${need} needed, and ` +
      `cannot be raised: ${(err as Error).message}`;
  }
  return `kernel.pid_max ${max} → ${raised}`;
}

/** Size of the "started" file: how many service starts so far. */
function starts(state: string): number {
  try {
    return Deno.statSync(join(state, "started")).size;
  } catch {
    return 0;
  }
}

/** Wait (polling `every` ms) until `check` holds; false at the deadline. */
async function until(
  check: () => boolean,
  limitMs: number,
  every: number,
): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(every);
  }
  return true;
}

/** Time one command to its end (its output discarded); null if it failed. */
export async function timeCommand(
  argv: string[],
  env: Record<string, string>,
): Promise<number | null> {
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  const ms = performance.now() - t0;
  return out.success ? ms : null;
}

/** Median of `runs` timings of a command after one warm-up; throws if one fails. */
async function timeRuns(
  argv: string[],
  env: Record<string, string>,
  runs: number,
): Promise<number> {
  await timeCommand(argv, env);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await timeCommand(argv, env);
    if (t === null) throw new Error(`${argv.join(" ")} failed`);
    ms.push(t);
  }
  return median(ms);
}

/** A service's pid and start stamp (ms since the epoch), or null. */
function stampOf(state: string, name: string): [number, number] | null {
  try {
    const [pid, stamp] = Deno.readTextFileSync(join(state, `${name}.pid`))
      .trim().split(" ");
    return stamp ? [Number(pid), Number(stamp) * 1000] : null;
  } catch {
    return null;
  }
}

/**
 * `Date.now()` at the start of a new millisecond, waited for: so an event
 * right after it is dated to a few microseconds on the services' clock.
 */
function msEdge(): number {
  const t = Date.now();
  let now = t;
  while (now === t) now = Date.now();
  return now;
}

/** CPU time of these processes' threads so far, ns (schedstat). */
function cpuNs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
        try {
          const s = Deno.readTextFileSync(
            `/proc/${pid}/task/${task.name}/schedstat`,
          );
          total += Number(s.split(" ")[0]);
        } catch {
          // Thread gone.
        }
      }
    } catch {
      // Process gone.
    }
  }
  return total;
}

/** utime + stime of these processes (dead threads included), seconds. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = procStat(pid);
    if (stat) ticks += Number(stat.fields[11]) + Number(stat.fields[12]);
  }
  return ticks / 100;
}

/** A process as seen once: pid and start time, to tell it from a reuse. */
interface Seen {
  pid: number;
  start: string;
}

function seen(pid: number): Seen | null {
  const stat = procStat(pid);
  return stat ? { pid, start: stat.fields[19] } : null;
}

/** Whether the process seen is still there (a zombie has ended). */
function alive(p: Seen): boolean {
  const stat = procStat(p.pid);
  return stat !== null && stat.fields[19] === p.start && stat.fields[0] !== "Z";
}

/** Run one peer with `n` services and take its figures. */
export async function measure(
  peer: Peer,
  n: number,
  opts: MeasureOptions,
): Promise<PeerResult> {
  const root = await Deno.makeTempDir({ prefix: "nitro-peers-" });
  const state = join(root, "state");
  Deno.mkdirSync(state);
  const names = Array.from({ length: n }, (_, i) => `svc${i + 1}`);
  for (const name of names) {
    const dir = join(root, "svc", name);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "run"), runScript(state, name), {
      mode: 0o755,
    });
  }
  peer.prepare(root, names);
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: root,
    ...peer.env?.(root),
  };
  const result: PeerResult = {
    peer: peer.name,
    services: n,
    bootMs: null,
    pssKb: null,
    rssKb: null,
    supervisorProcesses: 0,
    bootCpuS: null,
    statusMs: null,
    listMs: null,
    rescanMs: null,
    restartMs: null,
    restartCpuMs: null,
    shutdownMs: null,
  };
  const t0 = performance.now();
  const tree = startTree(
    peer.argv(root, n, peer.name === SELF ? opts.denoFlags ?? [] : []),
    { env, output: join(root, "output"), openFiles: LIMITS.openFiles },
  );
  let ended = false;
  tree.status.finally(() => ended = true);
  /** Supervisors, then services: what must be gone after a stop. */
  let watched: Seen[] = [];
  try {
    const limit = bootLimitMs(n);
    if (!await until(() => starts(state) >= n, limit, 5)) {
      throw new Error(
        `only ${starts(state)} of ${n} started in ${limit / 1000} s`,
      );
    }
    result.bootMs = performance.now() - t0;
    // Settle, and let every service run over 2 s before it is killed.
    await sleep(2500);
    const supervisors = [
      tree.pid,
      ...descendantsOf(tree.pid).filter((pid) =>
        peer.supervisors.includes(commOf(pid) ?? "")
      ),
    ];
    result.supervisorProcesses = supervisors.length;
    const sum = (read: (pid: number) => number) =>
      supervisors.reduce((total, pid) => {
        try {
          return total + read(pid);
        } catch {
          return total; // Gone meanwhile.
        }
      }, 0);
    result.pssKb = sum(pssKb);
    result.rssKb = sum(rssKb);
    result.bootCpuS = cpuSeconds(supervisors);

    let status = peer.status(root);
    if (
      status !== null && peer.statusFallback &&
      await timeCommand(status, env) === null
    ) {
      status = peer.statusFallback(root);
      result.statusQuery = status.slice(-2).join(" ");
    }
    if (status !== null) {
      result.statusMs = await timeRuns(status, env, opts.queries);
    }
    const list = peer.list?.(root, n);
    if (list) result.listMs = await timeRuns(list, env, opts.listRuns);
    const rescan = peer.rescan?.(root);
    if (rescan) result.rescanMs = await timeRuns(rescan, env, opts.listRuns);

    if (peer.restarts && opts.kills > 0) {
      const ms: number[] = [];
      const cpu0 = cpuNs(supervisors);
      for (let i = 0; i < opts.kills; i++) {
        // Spread over the table: the first, the last and between.
        const name =
          names[Math.floor(i * (n - 1) / Math.max(1, opts.kills - 1))];
        const before = stampOf(state, name);
        if (before === null) throw new Error(`${name} wrote no stamp`);
        const killed = msEdge();
        Deno.kill(before[0], "SIGKILL");
        let after: [number, number] | null = null;
        const again = () => {
          after = stampOf(state, name);
          return after !== null && after[0] !== before[0];
        };
        if (!await until(again, 10_000, 2)) {
          throw new Error(`${name} was not restarted within 10 s`);
        }
        ms.push(after![1] - killed);
        await sleep(50);
      }
      result.restartCpuMs = (cpuNs(supervisors) - cpu0) / 1e6 / opts.kills;
      result.restartMs = median(ms);
    }

    if (peer.stop) {
      const services = names.map((name) => stampOf(state, name)?.[0] ?? 0);
      watched = [...supervisors, ...services].map((pid) =>
        pid ? seen(pid) : null
      ).filter((s): s is Seen => s !== null);
      const s0 = performance.now();
      await peer.stop(tree, root);
      const limit = Math.max(30_000, n * 10);
      let next = 0;
      const gone = () => {
        while (next < watched.length && !alive(watched[next])) next++;
        return next === watched.length;
      };
      const exited = await Promise.race([
        tree.status.then(() => true),
        sleep(limit).then(() => false),
      ]);
      if (!exited || !await until(gone, limit, 10)) {
        throw new Error(`not all gone ${limit / 1000} s after the stop`);
      }
      result.shutdownMs = performance.now() - s0;
    }
  } catch (err) {
    let output = "";
    try {
      output = Deno.readTextFileSync(tree.output).slice(-400);
    } catch {
      // No output.
    }
    result.error = `${(err as Error).message}${output ? `\n${output}` : ""}`;
  } finally {
    // A root that has ended was reaped: its pid may be another's by now.
    if (!ended) await stopTree(tree);
    // What a stop left behind (runsvdir does not wait for its runsv).
    for (const s of watched) {
      if (alive(s)) {
        try {
          Deno.kill(s.pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    }
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  return result;
}
