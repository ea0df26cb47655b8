/**
 * Pid exhaustion: a service forks until the pids cgroup nitro runs in is
 * full and keeps retrying. nitro must stay up and answer, say `can't fork
 * victim/run: errno=11` for a service it cannot start, keep retrying it from
 * DELAY, and start it once the bomb is gone. Both as an ordinary process
 * and as pid 1 of a namespace, with real processes in a real pids cgroup.
 *
 * The bomb is started only once Deno's blocking pool has shrunk to what
 * nitro keeps (its idle threads end after 10 s): then any thread nitro
 * would need must be created under exhaustion, which is what used to end it
 * ("Deno could not start: unable to create worker threads").
 */

import assert from "node:assert/strict";
import { FORK_BOMB, PidsCgroup } from "../helpers/pids_cgroup.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";
import { procStat, shq, unshareUnavailable } from "../helpers/common.ts";

/** The review's limit: as `podman run --pids-limit 200`. */
const LIMIT = 200;

/** Where the bomb runs from: an unprivileged uid when setpriv exists. */
function bombRun(): string {
  const perl = `/usr/bin/perl -e ${shq(FORK_BOMB)}`;
  const drop = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  const as = drop ? `${drop} --reuid=65534 --regid=65534 --clear-groups ` : "";
  return `#!/bin/sh\nexec ${as}${perl}\n`;
}

const SERVICES = {
  victim: { run: "#!/bin/sh\nexec sleep 3600\n", down: "" },
  bomb: { run: bombRun(), down: "" },
};

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

/** Whether `pid` runs (not gone, not a zombie, not stopped). */
function running(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "T";
}

function skipReason(): string | null {
  if (Deno.build.os !== "linux") return "Linux only";
  try {
    Deno.statSync("/usr/bin/perl");
  } catch {
    return "no /usr/bin/perl for the fork bomb";
  }
  return null;
}

interface Subject {
  pid: () => number;
  ctl: (
    args: string[],
  ) => Promise<{ code: number; stdout: string; stderr: string }>;
  stderr: () => string;
}

/** Run nitroctl; it must succeed (nitro's console goes into the message). */
async function ctlOk(n: Subject, args: string[]): Promise<string> {
  const r = await n.ctl(args);
  assert.equal(
    r.code,
    0,
    `nitroctl ${args.join(" ")}: ${r.stderr}\nnitro said:\n${n.stderr()}`,
  );
  return r.stdout;
}

async function states(
  n: Subject,
): Promise<Record<string, { state: string; pid: number | null }>> {
  const list = JSON.parse(await ctlOk(n, ["--json", "list"])) as {
    name: string;
    state: string;
    pid: number | null;
  }[];
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

/** The review's repro against a started nitro in cgroup `cg`. */
async function survivesBomb(n: Subject, cg: PidsCgroup): Promise<void> {
  // What nitro keeps of Deno's blocking pool: at most the thread it holds.
  await eventually(
    () => poolThreads(n.pid()) <= 1,
    30_000,
    "Deno's blocking pool to shrink",
  );
  await ctlOk(n, ["up", "bomb"]);
  await eventually(() => cg.refused > 0, 20_000, "the cgroup to be full");

  await ctlOk(n, ["up", "victim"]);
  await eventually(
    () => n.stderr().includes("- nitro: can't fork victim/run: errno=11\n"),
    20_000,
    () => `the can't-fork line in:\n${n.stderr()}`,
  );
  assert.ok(running(n.pid()), "nitro runs under exhaustion");
  const during = await states(n);
  assert.equal(during.victim.state, "DELAY");
  assert.ok(["STARTING", "UP"].includes(during.bomb.state), "the bomb runs");
  assert.ok(cg.refused > 0 && cg.current >= LIMIT - 1, "still exhausted");

  await ctlOk(n, ["down", "bomb"]);
  await eventually(
    async () => (await states(n)).victim.pid !== null,
    20_000,
    "the victim to start once the bomb is gone",
  );
  const after = await states(n);
  assert.ok(["STARTING", "UP"].includes(after.victim.state));
  assert.equal(after.bomb.state, "DOWN");
  assert.ok(running(n.pid()), "nitro still runs");
  assert.doesNotMatch(n.stderr(), /could not start|panicked/);
}

Deno.test({
  name:
    "a fork bomb in nitro's pids cgroup: nitro survives, the victim recovers",
  ignore: skipReason() !== null,
  async fn(t) {
    const cg = PidsCgroup.create(LIMIT);
    if (typeof cg === "string") {
      t.step({ name: `skipped: ${cg}`, ignore: true, fn: () => {} });
      return;
    }
    const n = await Nitro.create(SERVICES);
    try {
      await n.start({ wrap: (argv) => cg.enter(argv) });
      await survivesBomb({
        pid: () => n.pid,
        ctl: (args) => n.ctl(args),
        stderr: () => n.stderr,
      }, cg);
    } finally {
      await cg.destroy();
      await n.stop();
    }
  },
});

Deno.test({
  name: "a fork bomb in the pids cgroup of nitro as pid 1: nitro survives",
  ignore: skipReason() !== null,
  async fn(t) {
    const why = await unshareUnavailable();
    const cg = why ?? PidsCgroup.create(LIMIT);
    if (typeof cg === "string") {
      t.step({ name: `skipped: ${cg}`, ignore: true, fn: () => {} });
      return;
    }
    const n = await Nitro.create(SERVICES, { pid1: true });
    try {
      // `$$` is 1 in the namespace: pid 1 enters the cgroup, then execs nitro.
      await n.start({ setup: cg.enterCommand });
      await survivesBomb({
        pid: () => n.hostPid,
        ctl: (args) => n.ctl(args),
        stderr: () => n.stderr,
      }, cg);
    } finally {
      await cg.destroy();
      await n.stop();
    }
  },
});
