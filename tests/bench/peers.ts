/**
 * nitro beside its peers: runit, s6, supervisord and tini (whichever are
 * installed), each supervising the same N services on this machine, in the
 * same run, for N = 100 and N = 1000.
 *
 * Every service is the same script: it appends its pid to a file of its
 * own and one byte to a shared "started" file, then `exec sleep`. The bench
 * watches the size of that file, so it sees every peer the same way:
 *
 * - boot: from spawning the supervisor to N bytes in the file (all run);
 * - memory: PSS (`/proc/PID/smaps_rollup`) summed over the supervision
 *   processes (nitro; runsvdir + runsv; s6-svscan + s6-supervise;
 *   supervisord; tini), the services excluded, 2.5 s after boot;
 * - status: median wall time of one status query of one service with the
 *   peer's own tool (`nitroctl status`, `sv status`, `s6-svstat`,
 *   `supervisorctl status`);
 * - restart: median time from `kill -9` of a service that ran over 2 s to
 *   the byte of its next start.
 *
 * Each peer runs in a temporary directory, in a session of its own, and is
 * killed by pid with everything it started. The bench never installs
 * anything: absent peers are listed with the command that installs them.
 *
 * ```sh
 * deno task bench peers [--peer-sizes=100,1000] [--queries=15] [--kills=5]
 *   [--peers=nitro,s6]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import {
  commOf,
  descendantsOf,
  type Figure,
  median,
  nitroctlArgs,
  pssKb,
  ROOT,
  rssKb,
  sleep,
  startTree,
  stopTree,
  times,
} from "./common.ts";

/** One supervisor under test. */
interface Peer {
  name: string;
  /** Executables it needs; the peer is absent if one is missing. */
  needs: string[];
  /** How to install it (Debian). */
  install: string;
  /** Write its configuration for `services` (dirs under `svc/`). */
  prepare(root: string, names: string[]): void;
  /** Command line that starts it. */
  argv(root: string, n: number): string[];
  /** Extra environment. */
  env?(root: string): Record<string, string>;
  /** Command names of its supervision processes (the root always counts). */
  supervisors: string[];
  /** Command line of one status query of `svc1`, or null if it has none. */
  status(root: string): string[] | null;
  /** The query to use instead if that one fails (an older nitroctl). */
  statusFallback?(root: string): string[];
  /** Whether it restarts services at all. */
  restarts: boolean;
}

/** Figures of one peer at one size; null where not applicable. */
export interface PeerResult {
  peer: string;
  services: number;
  bootMs: number | null;
  pssKb: number | null;
  /** RSS summed over the same processes (shared pages counted in each). */
  rssKb: number | null;
  supervisorProcesses: number;
  statusMs: number | null;
  restartMs: number | null;
  /** The status query used, when not the usual one. */
  statusQuery?: string;
  error?: string;
}

/** Outcome of the whole peer comparison. */
export interface PeersResult {
  results: PeerResult[];
  absent: { peer: string; install: string }[];
  /** Median wall time of an empty `deno run` with nitroctl's flags, ms. */
  denoFloorMs: number | null;
}

const NITRO_CLI = join(ROOT, "cli/nitro.ts");

/** A peer that has not started every service by then has failed. */
const BOOT_LIMIT_MS = 90_000;

/** The service script, shared by every peer. */
function runScript(state: string, name: string): string {
  return `#!/bin/sh\necho $$ > ${state}/${name}.pid\n` +
    `printf x >> ${state}/started\nexec sleep 100000\n`;
}

/** How the table names this project. */
const SELF = "nitro (this)";

const PEERS: Peer[] = [
  {
    name: SELF,
    needs: [],
    install: "",
    prepare: () => {},
    argv: (root) => [
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMISSIONS.nitro,
      NITRO_CLI,
      join(root, "svc"),
    ],
    env: (root) => ({ ...RUN_ENV, NITRO_SOCK: join(root, "nitro.sock") }),
    supervisors: [],
    status: () => [Deno.execPath(), ...nitroctlArgs(["status", "svc1"])],
    statusFallback: () => [
      Deno.execPath(),
      ...nitroctlArgs(["pidof", "svc1"]),
    ],
    restarts: true,
  },
  {
    name: "runit",
    needs: ["runsvdir", "runsv", "sv"],
    install: "apt-get install runit",
    prepare: () => {},
    argv: (root) => ["runsvdir", join(root, "svc")],
    supervisors: ["runsv"],
    status: (root) => ["sv", "status", join(root, "svc", "svc1")],
    restarts: true,
  },
  {
    name: "s6",
    needs: ["s6-svscan", "s6-supervise", "s6-svstat"],
    install: "apt-get install s6",
    prepare: () => {},
    // Its default limit is 500 service directories.
    argv: (root, n) => ["s6-svscan", "-c", String(n + 100), join(root, "svc")],
    supervisors: ["s6-supervise"],
    status: (root) => ["s6-svstat", join(root, "svc", "svc1")],
    restarts: true,
  },
  {
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
    status: (root) => [
      "supervisorctl",
      "-c",
      join(root, "supervisord.conf"),
      "status",
      "svc1",
    ],
    restarts: true,
  },
  {
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
    restarts: false,
  },
];

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
async function timeCommand(
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

/** Run one peer with `n` services and take its figures. */
async function measure(
  peer: Peer,
  n: number,
  opts: { queries: number; kills: number },
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
    statusMs: null,
    restartMs: null,
  };
  const t0 = performance.now();
  const tree = startTree(peer.argv(root, n), {
    env,
    output: join(root, "output"),
  });
  try {
    if (!await until(() => starts(state) >= n, BOOT_LIMIT_MS, 5)) {
      throw new Error(
        `only ${starts(state)} of ${n} started in ${BOOT_LIMIT_MS / 1000} s`,
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

    let status = peer.status(root);
    if (
      status !== null && peer.statusFallback &&
      await timeCommand(status, env) === null
    ) {
      status = peer.statusFallback(root);
      result.statusQuery = status.slice(-2).join(" ");
    }
    if (status !== null) {
      for (let i = 0; i < 2; i++) await timeCommand(status, env); // Warm up.
      const ms: number[] = [];
      for (let i = 0; i < opts.queries; i++) {
        const t = await timeCommand(status, env);
        if (t === null) throw new Error(`${status.join(" ")} failed`);
        ms.push(t);
      }
      result.statusMs = median(ms);
    }

    if (peer.restarts) {
      const ms: number[] = [];
      for (let i = 0; i < opts.kills; i++) {
        const name = names[(i + 1) % n];
        const pid = Number(Deno.readTextFileSync(join(state, `${name}.pid`)));
        const before = starts(state);
        const k0 = performance.now();
        Deno.kill(pid, "SIGKILL");
        if (!await until(() => starts(state) > before, 10_000, 1)) {
          throw new Error(`${name} was not restarted within 10 s`);
        }
        ms.push(performance.now() - k0);
        await sleep(50);
      }
      result.restartMs = median(ms);
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
    await stopTree(tree);
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  return result;
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

/** Run every installed peer at every size. */
export async function peers(
  opts: {
    sizes?: number[];
    queries?: number;
    kills?: number;
    /** Only these peers (first word of their name: nitro, runit, …). */
    only?: string[];
  } = {},
): Promise<PeersResult> {
  const sizes = opts.sizes ?? [100, 1000];
  const queries = opts.queries ?? 15;
  const kills = opts.kills ?? 5;
  const wanted = PEERS.filter((p) =>
    !opts.only?.length || opts.only.includes(p.name.split(" ")[0])
  );
  const present = wanted.filter((p) => p.needs.every(onPath));
  const absent = wanted.filter((p) => !present.includes(p)).map((p) => ({
    peer: p.name,
    install: p.install,
  }));
  absent.push({
    peer: "C nitro",
    install: "not packaged in Debian: not available",
  });
  const results: PeerResult[] = [];
  for (const n of sizes) {
    for (const peer of present) {
      console.error(`peers: ${peer.name}, ${n} services`);
      results.push(await measure(peer, n, { queries, kills }));
    }
  }
  return { results, absent, denoFloorMs: await denoFloor(queries) };
}

function ms(x: number | null): string {
  if (x === null) return "—";
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
}

function mbOf(kb: number | null): string {
  return kb === null ? "—" : `${(kb / 1024).toFixed(1)} MB`;
}

/** The comparison as a Markdown table, one row per peer and size. */
export function peersTable(r: PeersResult): string {
  const rows = [
    "| supervisor | services | boot to all running | memory: PSS (RSS) | status query | restart after kill -9 |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const x of r.results) {
    const procs = x.supervisorProcesses > 1
      ? ` (${x.supervisorProcesses} processes)`
      : "";
    rows.push(
      `| ${x.peer} | ${x.services} | ${x.error ? "failed" : ms(x.bootMs)} | ${
        mbOf(x.pssKb)
      } (${mbOf(x.rssKb)})${procs} | ${ms(x.statusMs)} | ${ms(x.restartMs)} |`,
    );
  }
  for (const a of r.absent) {
    rows.push(`| ${a.peer} | — | absent: ${a.install} | | | |`);
  }
  return rows.join("\n");
}

/**
 * nitro's figures against s6's from the same run (the issue's reference;
 * the best other peer when s6 is absent), one per size and column, with
 * the targets: boot of 1,000 services ≤ s6's; restart no slower than the
 * fastest peer's plus the measurement floor (5 ms: the 1-ms poll of the
 * "started" file and the scheduling of a loaded machine).
 */
export function peersFigures(r: PeersResult): Figure[] {
  const figures: Figure[] = [];
  const sizes = [...new Set(r.results.map((x) => x.services))];
  type Key = "bootMs" | "pssKb" | "statusMs" | "restartMs";
  const columns: { key: Key; what: string; fmt: (v: number) => string }[] = [
    { key: "bootMs", what: "boot to all running", fmt: ms },
    { key: "pssKb", what: "memory of the supervision (PSS)", fmt: mbOf },
    { key: "statusMs", what: "one status query", fmt: ms },
    { key: "restartMs", what: "restart after kill -9", fmt: ms },
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
      const ref = others.find((x) => x.peer === "s6") ?? best;
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
