/**
 * The system lifecycle, with a real nitro (not pid 1): SYS/setup
 * runs first and may use nitroctl, then every service without `down` comes
 * up; LOG is started first; Shutdown runs SYS/finish `0 0 shutdown`, brings
 * services down before their logger, runs SYS/final `shutdown` and exits 0;
 * Reboot runs SYS/finish `0 0 reboot`, SYS/final `reboot` and boots again
 * with fresh state (SYS/setup again). Signals: SIGHUP rescan, SIGINT
 * reboot, SIGTERM shutdown.
 */

import assert from "node:assert/strict";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import {
  alive,
  ctlScript,
  EventLog,
  readOr,
  sh,
  within,
} from "../helpers/daemon.ts";

function lines(path: string): string[] {
  return readOr(path).split("\n").filter((l) => l !== "");
}

function before(list: string[], a: string, b: string): void {
  const i = list.indexOf(a);
  const j = list.indexOf(b);
  assert.ok(i >= 0, `${a} missing in ${JSON.stringify(list)}`);
  assert.ok(j >= 0, `${b} missing in ${JSON.stringify(list)}`);
  assert.ok(i < j, `${a} not before ${b} in ${JSON.stringify(list)}`);
}

Deno.test("boot runs SYS/setup (which may use nitroctl) first; Shutdown runs SYS/finish, services, then loggers, SYS/final, exits 0", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const T = `${R}/trace`;
  const CTL = ctlScript(n);
  writeServices(n.dir, {
    SYS: {
      setup: sh(
        `echo "setup $#" >> ${T}`,
        `${CTL} list SYS > ${R}/setup.list`,
        `${CTL} -t 10 start a`,
        `echo "setup-done $?" >> ${T}`,
      ),
      finish: sh(
        `echo "finish $*" >> ${T}`,
        `${CTL} list > ${R}/finish.list`,
        // Nothing starts once the system is going down.
        `${CTL} up c 2> ${R}/finish.up`,
        `echo "up c: $?" >> ${T}`,
      ),
      final: sh(`echo "final $*" >> ${T}`),
    },
    a: {
      run: sh(`echo a-run >> ${T}`, "echo hello-from-a", "exec sleep 1000"),
      finish: sh(`echo a-finish >> ${T}`),
    },
    b: {
      run: sh(`echo b-run >> ${T}`, "exec sleep 1000"),
      finish: sh("sleep 0.5", `echo b-finish >> ${T}`),
    },
    c: { run: sh(`echo c-run >> ${T}`, "exec sleep 1000"), down: "" },
    LOG: {
      run: sh(`echo LOG-run >> ${T}`, `exec cat >> ${R}/log.out`),
      finish: sh(`echo LOG-finish >> ${T}`),
    },
  });
  try {
    await n.start();
    // Waits through SYS/setup, until b is brought up after it.
    const up = await n.ctl(["-t", "15", "wait-up", "a", "b", "LOG"]);
    assert.equal(up.code, 0, up.stderr);
    let t = lines(T);
    before(t, "setup 0", "a-run");
    before(t, "a-run", "setup-done 0");
    before(t, "setup-done 0", "b-run");
    assert.ok(!t.includes("c-run"), "a `down` service was started");
    const s = await n.states();
    assert.match(
      readOr(`${R}/setup.list`),
      /^SETUP SYS \(pid \d+\) \(wstatus 0\) \d+s\n$/,
    );
    assert.equal(s.SYS, undefined, "SYS leaves the list when setup ends");
    assert.equal(s.c.state, "DOWN");
    // LOG is the default logger.
    await eventually(() => readOr(`${R}/log.out`).includes("hello-from-a"));

    const pids = [s.a.pid!, s.b.pid!, s.LOG.pid!];
    const r = await n.ctl(["Shutdown"]);
    assert.equal(r.code, 0, r.stderr);
    const status = await within(n.exitStatus!, 20_000, "nitro to exit");
    assert.equal(status.code, 0, n.stderr);

    t = lines(T);
    before(t, "setup-done 0", "finish 0 0 shutdown");
    before(t, "finish 0 0 shutdown", "a-finish");
    before(t, "a-finish", "LOG-finish");
    before(t, "b-finish", "LOG-finish");
    before(t, "LOG-finish", "final shutdown");
    assert.equal(t.at(-1), "final shutdown");
    assert.ok(t.includes("up c: 111"), t.join("\n"));
    assert.match(readOr(`${R}/finish.up`), /shutting down/);
    assert.ok(!t.includes("c-run"), "c started during shutdown");
    // Services were still up while SYS/finish ran.
    const listed = readOr(`${R}/finish.list`);
    assert.match(listed, /^UP a \(pid \d+\) \(wstatus 0\) \d+s$/m);
    assert.match(listed, /^UP b \(pid \d+\) \(wstatus 0\) \d+s$/m);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} survived`);
    assert.ok(!existsSync(n.sock), "socket left behind");
  } finally {
    await n.stop();
  }
});

Deno.test("Reboot and SIGINT boot again with fresh state; SIGHUP rescans; SIGTERM shuts down with exit 0; LOG starts first", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const T = `${R}/trace`;
  writeServices(n.dir, {
    SYS: {
      setup: sh(`echo setup >> ${T}`),
      finish: sh(`echo "finish $*" >> ${T}`),
      final: sh(`echo "final $*" >> ${T}`),
    },
    a: { run: sh(`echo a-run >> ${T}`, "exec sleep 1000") },
    b: { run: sh("exec sleep 1000") },
    LOG: { run: sh(`exec cat > /dev/null`) },
  });
  const recorders: EventLog[] = [];
  try {
    await n.start();
    const boot = ["setup", "a-run"];
    await eventually(
      () => lines(T).join() === boot.join(),
      10_000,
      "first boot",
    );
    const ev = await EventLog.open(n.sock, true);
    recorders.push(ev);
    // LOG first: its run was spawned before any other (smaller pid).
    const firstStart = (name: string) =>
      ev.waitFor((e) => e.name === name && e.state === "STARTING");
    const logPid = (await firstStart("LOG")).pid!;
    assert.ok(logPid < (await firstStart("a")).pid!);
    assert.ok(logPid < (await firstStart("b")).pid!);

    // Fresh state after a reboot: a stopped service comes back up.
    const stop = await n.ctl(["-t", "10", "stop", "a"]);
    assert.equal(stop.code, 0, stop.stderr);
    const oldB = (await n.states()).b.pid!;

    const reboot = await n.ctl(["Reboot"]);
    assert.equal(reboot.code, 0, reboot.stderr);
    const afterReboot = [
      ...boot,
      "finish 0 0 reboot",
      "final reboot",
      ...boot,
    ];
    await eventually(
      () => lines(T).join() === afterReboot.join(),
      15_000,
      "reboot",
    );
    assert.ok(!alive(oldB), "b survived the reboot");
    await eventually(async () => (await n.states()).b?.state === "STARTING");

    // SIGINT: reboot.
    Deno.kill(n.pid, "SIGINT");
    const afterInt = [
      ...afterReboot,
      "finish 0 0 reboot",
      "final reboot",
      ...boot,
    ];
    await eventually(
      () => lines(T).join() === afterInt.join(),
      15_000,
      "reboot by SIGINT",
    );

    // SIGHUP: rescan.
    writeServices(n.dir, {
      c: { run: sh(`echo c-run >> ${T}`, "exec sleep 1000") },
    });
    await eventually(async () => "a" in (await n.states()));
    Deno.kill(n.pid, "SIGHUP");
    await eventually(() => lines(T).includes("c-run"), 10_000, "c to start");
    assert.ok("c" in await n.states());

    // SIGTERM: shutdown, exit 0.
    Deno.kill(n.pid, "SIGTERM");
    const status = await within(n.exitStatus!, 20_000, "nitro to exit");
    assert.equal(status.code, 0, n.stderr);
    assert.deepEqual(lines(T).slice(-2), [
      "finish 0 0 shutdown",
      "final shutdown",
    ]);
  } finally {
    for (const r of recorders) await r.close();
    await n.stop();
  }
});

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("Reboot during SYS/setup: the new boot starts services only after its own SYS/setup", async () => {
  const n = await Nitro.create();
  const T = `${n.root}/trace`;
  // SYS/setup holds until the test lets it go: the Reboot surely comes
  // while the first one runs, however slowly nitroctl starts.
  const go = `${n.root}/go`;
  writeServices(n.dir, {
    SYS: {
      setup: sh(
        `echo "setup $$" >> ${T}`,
        `while [ ! -e ${go} ]; do sleep 0.05; done`,
        `echo "end $$" >> ${T}`,
      ),
    },
    a: { run: sh(`echo a-run >> ${T}`, "exec sleep 1000") },
  });
  const setups = () => lines(T).filter((l) => l.startsWith("setup "));
  try {
    await n.start();
    await eventually(() => setups().length === 1, 10_000, "SYS/setup");
    const r = await n.ctl(["Reboot"]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => setups().length === 2, 10_000, "a second setup");
    assert.ok(!lines(T).includes("a-run"), lines(T).join("\n"));
    Deno.writeTextFileSync(go, "");
    await eventually(() => lines(T).includes("a-run"), 10_000, "a to start");
    const t = lines(T);
    assert.equal(setups().length, 2, t.join("\n"));
    const [first, second] = setups().map((l) => l.split(" ")[1]);
    assert.ok(!t.includes(`end ${first}`), "the first setup was stopped");
    before(t, `end ${second}`, "a-run");
    const s = await n.states();
    assert.equal(s.SYS, undefined, "SYS leaves the list when setup ends");
    assert.ok(["STARTING", "UP"].includes(s.a.state), s.a.state);
  } finally {
    await n.stop();
  }
});

Deno.test("SYS takes no up/down/restart (exit 111); a rescan during SYS/setup starts nothing early", async () => {
  const n = await Nitro.create();
  const T = `${n.root}/trace`;
  const go = `${n.root}/go`;
  writeServices(n.dir, {
    SYS: {
      setup: sh(
        `while [ ! -e ${go} ]; do sleep 0.05; done`,
        `echo setup-done >> ${T}`,
      ),
    },
  });
  try {
    await n.start();
    for (const cmd of ["stop", "down", "restart", "up"]) {
      const r = await n.ctl([cmd, "SYS"]);
      assert.equal(r.code, 111, `${cmd} SYS: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /SYS/);
    }
    // A service added (and rescanned) while SYS/setup runs waits for it.
    writeServices(n.dir, {
      late: { run: sh(`echo late-run >> ${T}`, "exec sleep 1000") },
    });
    assert.equal((await n.ctl(["rescan"])).code, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await n.states()).late.state, "DOWN");
    Deno.writeTextFileSync(go, "");
    const r = await n.ctl(["-t", "10", "wait-starting", "late"]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => lines(T).includes("late-run"), 10_000, "late");
    before(lines(T), "setup-done", "late-run");
  } finally {
    await n.stop();
  }
});
