/**
 * How long nitro stays responsive under a fork bomb, next to C nitro.
 *
 * Each nitro runs in a pids cgroup of its own (`pids.max` 200, as
 * `--pids-limit 200`) with two services: `bomb`, a perl loop forking until
 * EAGAIN and retrying for ever, and `victim`. Once the cgroup is full,
 * `victim` is brought up (it cannot start), and for `seconds` a `list` is
 * asked every quarter of a second, from outside the cgroup, each given 2 s.
 * Then the bomb is brought down and the time until `victim` runs again is
 * measured. The Deno nitro starts its bomb only once Deno's blocking pool
 * has shrunk to what it keeps (idle threads end after 10 s): the moment at
 * which it used to die at its next console line.
 *
 * Needs root and a pids cgroup; C nitro from `$NITRO_C_DIR`.
 *
 * @module
 */

import { type Figure, Nitro, sleep } from "./common.ts";
import { nitroctlArgs } from "../helpers/nitro.ts";
import { procStat } from "../helpers/common.ts";
import { FORK_BOMB, PidsCgroup } from "../helpers/pids_cgroup.ts";
import { cNitro, isBuilt } from "../helpers/c_nitro.ts";
import { RUN_ENV } from "../../ci/permissions.ts";

/** What one nitro did under the bomb. */
export interface BombRun {
  /** Lists asked, and answered within 2 s. */
  asked: number;
  answered: number;
  /** Slowest answer, ms. */
  maxMs: number;
  /** nitro still ran when the bomb was brought down. */
  alive: boolean;
  /** It said `can't fork victim/run`. */
  cantFork: boolean;
  /** ms from `down bomb` until `victim` ran again; null if it did not. */
  recoveryMs: number | null;
}

/** Both nitros, or why one was not measured. */
export interface ForkbombResult {
  seconds: number;
  deno: BombRun | string;
  c: BombRun | string;
}

const LIMIT = 200;
const SERVICES = {
  victim: { run: "#!/bin/sh\nexec sleep 3600\n", down: "" },
  bomb: {
    run: `#!/bin/sh\nexec /usr/bin/perl -e '${FORK_BOMB}'\n`,
    down: "",
  },
};

/** Run `argv`; its stdout, or null when it failed or took over `ms`. */
async function within(
  argv: string[],
  env: Record<string, string>,
  ms: number,
): Promise<string | null> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Ended meanwhile.
    }
  }, ms);
  const out = await child.output();
  clearTimeout(timer);
  return out.success ? new TextDecoder().decode(out.stdout) : null;
}

/** Threads of Deno's blocking pool in process `pid`. */
function poolThreads(pid: number): number {
  let n = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const comm = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/comm`);
      if (comm.startsWith("tokio-runtime-w")) n++;
    } catch {
      // Ended meanwhile.
    }
  }
  return n;
}

async function until(check: () => boolean | Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(50);
  }
}

/** The bomb against one nitro: `ctl(args)` runs its nitroctl. */
async function underBomb(
  cg: PidsCgroup,
  pid: () => number,
  ctl: (args: string[], ms?: number) => Promise<string | null>,
  said: () => string,
  seconds: number,
): Promise<BombRun> {
  await ctl(["up", "bomb"]);
  await until(() => cg.refused > 0, 20_000);
  await ctl(["up", "victim"]);
  const run: BombRun = {
    asked: 0,
    answered: 0,
    maxMs: 0,
    alive: false,
    cantFork: false,
    recoveryMs: null,
  };
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t0 = performance.now();
    run.asked++;
    if (await ctl(["list"], 2000) !== null) {
      run.answered++;
      run.maxMs = Math.max(run.maxMs, performance.now() - t0);
    }
    await sleep(250);
  }
  const state = procStat(pid())?.state;
  run.alive = state !== undefined && state !== "Z";
  run.cantFork = said().includes("can't fork victim/run");
  const down = performance.now();
  await ctl(["down", "bomb"]);
  try {
    await until(
      async () => /UP victim \(pid \d+\)/.test(await ctl(["list"]) ?? ""),
      20_000,
    );
    run.recoveryMs = performance.now() - down;
  } catch {
    // Never came back.
  }
  return run;
}

async function denoNitro(seconds: number): Promise<BombRun | string> {
  const cg = PidsCgroup.create(LIMIT);
  if (typeof cg === "string") return cg;
  const n = await Nitro.create(SERVICES);
  try {
    await n.start({ wrap: (argv) => cg.enter(argv) });
    await until(() => poolThreads(n.pid) <= 1, 30_000);
    return await underBomb(
      cg,
      () => n.pid,
      async (args, ms = 5000) => {
        const r = await n.ctl(["-t", String(ms / 1000), ...args]);
        return r.code === 0 ? r.stdout : null;
      },
      () => n.stderr,
      seconds,
    );
  } finally {
    await cg.destroy();
    await n.stop();
  }
}

async function cNitroRun(seconds: number): Promise<BombRun | string> {
  const c = await cNitro();
  if (!isBuilt(c)) return c.reason;
  const cg = PidsCgroup.create(LIMIT);
  if (typeof cg === "string") return cg;
  const n = await Nitro.create(SERVICES);
  const env = { ...n.env(), ...RUN_ENV };
  let stderr = "";
  const child = new Deno.Command(cg.enter([c.nitro, n.dir])[0], {
    args: cg.enter([c.nitro, n.dir]).slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) stderr += dec.decode(chunk);
  })();
  try {
    const ctl = (args: string[], ms = 5000) =>
      within([c.nitroctl, ...args], env, ms);
    await until(async () => await ctl(["list"]) !== null, 10_000);
    return await underBomb(cg, () => child.pid, ctl, () => stderr, seconds);
  } finally {
    await cg.destroy();
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone with the cgroup.
    }
    await child.status;
    await reading;
    await n.stop();
  }
}

/** Measure both nitros under the bomb for `seconds` each. */
export async function forkbomb(
  opts: { seconds: number },
): Promise<ForkbombResult> {
  // Warm the nitroctl cache so its first start is not counted.
  await within(
    [Deno.execPath(), ...nitroctlArgs(["--help"])],
    { ...RUN_ENV, PATH: Deno.env.get("PATH") ?? "" },
    30_000,
  );
  return {
    seconds: opts.seconds,
    deno: await denoNitro(opts.seconds),
    c: await cNitroRun(opts.seconds),
  };
}

function describe(run: BombRun | string): string {
  if (typeof run === "string") return `not measured (${run})`;
  const recovery = run.recoveryMs === null
    ? "victim never came back"
    : `victim back ${(run.recoveryMs / 1000).toFixed(1)} s after the bomb`;
  return `${run.answered}/${run.asked} lists answered (slowest ${
    Math.round(run.maxMs)
  } ms), ${run.alive ? "alive" : "DEAD"}, ${
    run.cantFork ? "said can't fork" : "silent"
  }, ${recovery}`;
}

/** The figures: nitro under the bomb, against C nitro. */
export function forkbombFigures(r: ForkbombResult): Figure[] {
  const d = r.deno;
  const ok = typeof d !== "string" && d.alive && d.answered === d.asked &&
    d.recoveryMs !== null;
  return [{
    what:
      `nitro under a fork bomb in a pids cgroup (max ${LIMIT}) for ${r.seconds} s`,
    figure: describe(d),
    baseline: `C nitro: ${describe(r.c)}`,
    compare: typeof d === "string"
      ? "no comparison"
      : `${d.answered === d.asked ? "responsive" : "unresponsive"} throughout`,
    target: "alive, every list answered, victim back",
    ok: typeof d === "string" ? undefined : ok,
  }];
}
