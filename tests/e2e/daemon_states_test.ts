/**
 * States and lifecycle with real processes (their delays are asserted on
 * the virtual clock in tests/daemon/supervisor_test.ts): SETUP → STARTING →
 * UP after 2 s, setup exit 111 → FATAL and other exits → DELAY, one-shots,
 * restarts after a crash (DELAY 2 s) or a long run (at once), `finish`
 * arguments, the down signal + SIGCONT + SIGKILL after 7 s, `finish`
 * killed after 7 s, setup stopped by SIGTERM, `restart`, and `up` while
 * SHUTDOWN turning into RESTART.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { alive, EventLog, procState, readOr, sh } from "../helpers/daemon.ts";
import { NitroClient } from "../../src/client.ts";

const SLEEP = sh("exec sleep 1000");

/**
 * The states `name` went through, a request that changed nothing (and so
 * emitted the current state again) not counted: which requests land on an
 * unchanged state depends on timing here.
 */
function changes(log: EventLog, name: string): string[] {
  return log.states(name).filter((s, i, all) => i === 0 || s !== all[i - 1]);
}

Deno.test("start: SETUP → STARTING → UP after 2 s; every change is an event", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    a: { setup: sh(`echo "setup $# $PWD" > ${R}/a.setup`), run: SLEEP },
    b: { run: SLEEP },
  });
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const r = await n.ctl(["-t", "10", "start", "a", "b"]);
    assert.equal(r.code, 0, r.stderr);
    const events = await EventLog.open(n.sock, true);
    recorders.push(events);
    await events.waitFor((e) => e.name === "b" && e.state === "UP");
    await events.waitFor((e) => e.name === "a" && e.state === "UP");
    assert.deepEqual(changes(events, "a"), ["SETUP", "STARTING", "UP"]);
    assert.deepEqual(changes(events, "b"), ["STARTING", "UP"]);
    // setup ran first, with no arguments, in the service directory.
    assert.equal(readOr(`${R}/a.setup`), `setup 0 ${join(n.dir, "a")}\n`);
    // The event's pid is the run process, which is still the service's.
    const s = await n.states();
    assert.equal(s.a.state, "UP");
    assert.equal(s.b.state, "UP");
    assert.equal(events.of("b")[0].pid, s.b.pid);
    assert.ok(alive(s.b.pid!));
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});

Deno.test("setup: exit 111 → FATAL, other exit → DELAY then SETUP again; one-shot ONESHOT until down; a vanished directory → FATAL", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    fatal: { setup: sh("exit 111"), run: SLEEP },
    flaky: {
      // Fails the first time only.
      setup: sh(
        `echo x >> ${R}/flaky.count`,
        `[ "$(wc -l < ${R}/flaky.count)" -ge 2 ]`,
      ),
      run: SLEEP,
    },
    once: {
      setup: sh(`echo done > ${R}/once.setup`),
      finish: sh(`echo "$#:$1:$2" > ${R}/once.finish`),
    },
    gone: { run: SLEEP, down: "" },
  });
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const log = await EventLog.open(n.sock, true);
    recorders.push(log);

    // setup exit 111: FATAL, and a start of it fails with 1.
    await log.waitFor((e) => e.name === "fatal" && e.state === "FATAL");
    const start = await n.ctl(["-t", "5", "start", "fatal"]);
    assert.equal(start.code, 1, start.stderr);
    assert.match(start.stderr, /fatal/);
    assert.match(n.stderr, /fatal.*111/);
    // FATAL is not final: fix it and start it by hand.
    Deno.writeTextFileSync(join(n.dir, "fatal/setup"), sh("exit 0"));

    // One-shot: ONESHOT after setup; finish runs with "0 0" on down.
    const once = await n.ctl(["-t", "5", "start", "once"]);
    assert.equal(once.code, 0, once.stderr);
    assert.equal((await n.states()).once.state, "ONESHOT");
    assert.equal(readOr(`${R}/once.setup`), "done\n");
    assert.equal(readOr(`${R}/once.finish`), "");
    const stop = await n.ctl(["-t", "5", "stop", "once"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(readOr(`${R}/once.finish`), "2:0:0\n");
    assert.equal((await n.states()).once.state, "DOWN");

    // Directory gone: FATAL on start.
    Deno.renameSync(join(n.dir, "gone"), join(R, "gone-away"));
    const g = await n.ctl(["-t", "5", "start", "gone"]);
    assert.equal(g.code, 1, g.stderr);
    assert.equal((await n.states()).gone.state, "FATAL");

    // Setup failing with another status: DELAY 2 s, then SETUP again.
    const flaky = await n.ctl(["-t", "10", "start", "flaky"]);
    assert.equal(flaky.code, 0, flaky.stderr);
    assert.deepEqual(changes(log, "flaky"), [
      "SETUP",
      "DELAY",
      "SETUP",
      "STARTING",
      "UP",
    ]);
    assert.equal(readOr(`${R}/flaky.count`), "x\nx\n");

    const fixed = await n.ctl(["-t", "10", "start", "fatal"]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((await n.states()).fatal.state, "UP");
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});

Deno.test("exit on its own: a quick crash waits 2 s in DELAY, a long run restarts at once; finish gets status and signal", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    crash: {
      run: sh(`echo x >> ${R}/crash.count`, "exit 3"),
      // A failing finish changes nothing.
      finish: sh(`echo "$1 $2" >> ${R}/crash.finish`, "exit 7"),
    },
    long: { run: sh(`echo x >> ${R}/long.count`, "sleep 2.5", "exit 0") },
    killed: { run: SLEEP, finish: sh(`echo "$1 $2" >> ${R}/killed.finish`) },
    // Taken down, and restarted, while waiting in DELAY.
    delaydown: { run: sh("exit 1") },
    delayrestart: { run: sh(`echo x >> ${R}/delayrestart.count`, "exit 1") },
  });
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const log = await EventLog.open(n.sock, true);
    recorders.push(log);
    await log.waitFor((e) => e.name === "delaydown" && e.state === "DELAY");
    const dd = await n.ctl(["d", "delaydown"]);
    assert.equal(dd.code, 0, dd.stderr);
    await log.waitFor((e) => e.name === "delayrestart" && e.state === "DELAY");
    const dr = await n.ctl(["fast-restart", "delayrestart"]);
    assert.equal(dr.code, 0, dr.stderr);
    const up = await n.ctl(["-t", "10", "wait-up", "killed"]);
    assert.equal(up.code, 0, up.stderr);
    const pid = (await n.states()).killed.pid!;
    const kill = await n.ctl(["kill", "killed"]);
    assert.equal(kill.code, 0, kill.stderr);

    await log.waitFor(
      (e) =>
        e.name === "crash" && e.state === "STARTING" &&
        log.of("crash").filter((x) => x.state === "STARTING").length >= 3,
      15_000,
      "three starts of crash",
    );
    await log.waitFor(
      (e) =>
        e.name === "long" &&
        log.of("long").filter((x) => x.state === "STARTING").length >= 2,
      15_000,
      "a second start of long",
    );
    await log.waitFor(
      (e) =>
        e.name === "killed" &&
        log.of("killed").filter((x) => x.state === "STARTING").length >= 2,
      15_000,
      "a second start of killed",
    );

    // crash: STARTING, RESTART (finish), DOWN, DELAY, STARTING, … 2 s apart.
    assert.deepEqual(changes(log, "crash").slice(0, 9), [
      "STARTING",
      "RESTART",
      "DOWN",
      "DELAY",
      "STARTING",
      "RESTART",
      "DOWN",
      "DELAY",
      "STARTING",
    ]);
    assert.match(readOr(`${R}/crash.finish`), /^3 0\n3 0\n/);
    const list = JSON.parse((await n.ctl(["--json", "list", "crash"])).stdout);
    assert.equal(list[0].wstatus, 3 << 8);

    // long: it ran 2.5 s, so it is started again without DELAY.
    assert.deepEqual(changes(log, "long").slice(0, 5), [
      "STARTING",
      "UP",
      "RESTART",
      "DOWN",
      "STARTING",
    ]);

    // killed: finish saw -1 and SIGKILL's number; restarted at once.
    assert.equal(readOr(`${R}/killed.finish`), "-1 9\n");
    assert.deepEqual(changes(log, "killed").slice(0, 5), [
      "STARTING",
      "UP",
      "RESTART",
      "DOWN",
      "STARTING",
    ]);
    assert.ok(!alive(pid));
    // Down in DELAY: DOWN, and never started again (4 s have passed).
    assert.deepEqual(changes(log, "delaydown"), [
      "STARTING",
      "RESTART",
      "DOWN",
      "DELAY",
      "DOWN",
    ]);
    assert.equal((await n.states()).delaydown.state, "DOWN");
    const after = await n.ctl(["-t", "5", "wait-up", "killed"]);
    assert.equal(after.code, 0);
    // The list shows the pid and the last wait status together.
    const line = (await n.ctl(["list", "killed"])).stdout;
    assert.match(line, /^UP killed \(pid \d+\) \(wstatus 9\) \d+s\n$/);
    assert.notEqual((await n.states()).killed.pid, pid);
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});

Deno.test("down: the down signal then SIGCONT; SIGKILL after 7 s; finish killed after 7 s; setup gets SIGTERM", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const finish = (name: string) => sh(`echo "$1 $2" > ${R}/${name}.finish`);
  writeServices(n.dir, {
    // Ignores SIGTERM (ignored signals stay ignored across exec).
    stubborn: { run: sh("trap '' TERM", "exec sleep 1000") },
    slowfinish: {
      run: SLEEP,
      finish: sh(`echo "$1 $2" > ${R}/slowfinish.finish`, "exec sleep 1000"),
    },
    hupper: { run: SLEEP, "down-signal": "hup\n", finish: finish("hupper") },
    stopped: { run: SLEEP, finish: finish("stopped") },
    // A setup that ignores SIGTERM is SIGKILLed after 7 s too.
    setupstubborn: { setup: sh("trap '' TERM", "exec sleep 1000"), run: SLEEP },
    setupdown: {
      setup: sh(
        `trap 'echo TERM > ${R}/setupdown.setup; exit 1' TERM`,
        "while :; do sleep 0.1; done",
      ),
      run: SLEEP,
    },
  });
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const log = await EventLog.open(n.sock, true);
    recorders.push(log);
    const all = ["stubborn", "slowfinish", "hupper", "stopped"];
    const started = await n.ctl(["-t", "10", "fast-start", ...all]);
    assert.equal(started.code, 0, started.stderr);
    await log.waitFor((e) => e.name === "setupdown" && e.state === "SETUP");
    await log.waitFor((e) => e.name === "setupstubborn" && e.state === "SETUP");
    const before = await n.states();
    const pause = await n.ctl(["pause", "stopped"]);
    assert.equal(pause.code, 0, pause.stderr);
    await eventually(
      () => procState(before.stopped.pid!) === "T",
      5000,
      "stopped to stop",
    );

    const stop = await n.ctl([
      "-t",
      "20",
      "stop",
      ...all,
      "setupdown",
      "setupstubborn",
    ]);
    assert.equal(stop.code, 0, stop.stderr);
    const s = await n.states();
    for (const name of [...all, "setupdown", "setupstubborn"]) {
      assert.equal(s[name].state, "DOWN", name);
      assert.equal(s[name].pid, null, name);
    }

    // SIGTERM ignored: SIGKILL (after 7 s: asserted on the virtual clock
    // in tests/daemon/supervisor_test.ts, as every delay here is).
    const list = JSON.parse((await n.ctl(["--json", "list"])).stdout);
    const stubborn = list.find((x: { name: string }) => x.name === "stubborn");
    assert.equal(stubborn.wstatus, 9);
    assert.ok(!alive(before.stubborn.pid!));
    // finish that does not end: killed.
    assert.equal(readOr(`${R}/slowfinish.finish`), "-1 15\n");
    // down-signal "hup": SIGHUP, not SIGTERM.
    assert.equal(readOr(`${R}/hupper.finish`), "-1 1\n");
    // A stopped process gets SIGCONT after SIGTERM, so it dies of SIGTERM
    // (not of the SIGKILL that would come without it).
    assert.equal(readOr(`${R}/stopped.finish`), "-1 15\n");
    // A running setup gets SIGTERM and the service goes DOWN.
    assert.equal(readOr(`${R}/setupdown.setup`), "TERM\n");
    assert.deepEqual(changes(log, "setupdown"), ["SETUP", "SHUTDOWN", "DOWN"]);
    assert.deepEqual(changes(log, "setupstubborn"), [
      "SETUP",
      "SHUTDOWN",
      "DOWN",
    ]);
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});

Deno.test("restart: RESTART then UP with a new process; up while SHUTDOWN becomes RESTART", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    r1: { run: SLEEP },
    rs: { setup: sh(`echo x >> ${R}/rs.count`, "exec sleep 1000"), run: SLEEP },
    // Its finish waits for the test to open the gate (a FIFO): up comes
    // while it runs, whatever the load.
    r2: {
      run: SLEEP,
      finish: sh(`echo "$1 $2" >> ${R}/r2.finish`, `read _ < ${R}/r2.gate`),
    },
  });
  const made = await new Deno.Command("mkfifo", { args: [`${R}/r2.gate`] })
    .output();
  assert.ok(made.success);
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const log = await EventLog.open(n.sock, true);
    recorders.push(log);
    const up = await n.ctl(["-t", "10", "wait-up", "r1", "r2"]);
    assert.equal(up.code, 0, up.stderr);
    const old = await n.states();

    const restarting = n.ctl(["-t", "10", "restart", "r1"]);
    // restart while SETUP: setup is stopped and started again. (Asked
    // without waiting: its setup never ends, and fast-restart waits for
    // STARTING.)
    using client = await NitroClient.connect(n.sock);
    await client.send({ op: "restart", services: ["rs"] });
    await eventually(() => readOr(`${R}/rs.count`) === "x\nx\n");
    await log.waitFor((e) => e.name === "rs" && log.states("rs").length >= 3);
    assert.deepEqual(changes(log, "rs"), ["SETUP", "RESTART", "SETUP"]);
    // r2's finish runs until the gate opens: up in the middle turns
    // SHUTDOWN into RESTART, and it comes back.
    const down = await n.ctl(["down", "r2"]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await n.states()).r2.state, "SHUTDOWN");
    const again = await n.ctl(["up", "r2"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await n.states()).r2.state, "RESTART");
    await Deno.writeTextFile(`${R}/r2.gate`, "go\n");

    const restart = await restarting;
    assert.equal(restart.code, 0, restart.stderr);
    const s = await n.states();
    assert.equal(s.r1.state, "UP");
    assert.notEqual(s.r1.pid, old.r1.pid);
    assert.ok(!alive(old.r1.pid!));
    assert.deepEqual(changes(log, "r1"), [
      "STARTING",
      "UP",
      "RESTART",
      "DOWN",
      "STARTING",
      "UP",
    ]);

    const back = await n.ctl(["-t", "10", "wait-up", "r2"]);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(changes(log, "r2"), [
      "STARTING",
      "UP",
      "SHUTDOWN",
      "RESTART",
      "DOWN",
      "STARTING",
      "UP",
    ]);
    assert.equal(readOr(`${R}/r2.finish`), "-1 15\n");
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});
