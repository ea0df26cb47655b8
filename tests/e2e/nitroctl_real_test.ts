/**
 * nitroctl against a real nitro: the output formats scripts and exporters
 * parse (`list`, `info`, `metrics`), `status` reasons, partial failures,
 * signal exit statuses, `-v` and the typed client's FATAL error.
 */

import assert from "node:assert/strict";
import { NitroClient, NitroError } from "../../mod.ts";
import { parseExposition } from "../helpers/exposition.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";
import { Lines, spawnCtl } from "../helpers/daemon.ts";

/** The regex of nitro's Prometheus exporter (issue 14). */
// The wait status may be -1 (a start that failed for good), as C prints it.
const LIST_LINE = /^([A-Z]+) (.*?) (\(pid \d+\) )?\(wstatus (-?\d+)\) (\d+)s$/;

/** A run that ignores SIGTERM: taking it down lasts the 7 s stop limit. */
const STUBBORN = "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n";
const SLEEP = "#!/bin/sh\nexec sleep 1000\n";

/** Services that sit in each of the nine states once set up below. */
const SERVICES = {
  up: { run: SLEEP },
  starting: { run: SLEEP, "notification-fd": "0\n" }, // ready by hand only
  setup: { setup: SLEEP, run: SLEEP },
  oneshot: { setup: "#!/bin/sh\nexit 0\n" },
  down: { run: SLEEP, down: "" },
  delay: { run: "#!/bin/sh\nexit 3\n" },
  "fatal-run": { run: "echo never\n" }, // not executable
  "fatal-setup": { setup: "#!/bin/sh\nexit 111\n", run: SLEEP },
  shutdown: { run: STUBBORN },
  restart: { run: STUBBORN },
  'odd"name\\x': { run: SLEEP },
};

Deno.test("nitroctl output against a real nitro with services in every state", async (t) => {
  const n = await Nitro.create(SERVICES);
  try {
    await n.start();
    await eventually(
      async () => {
        const s = await n.states();
        return s.up?.state === "UP" && s.shutdown?.state === "UP" &&
          s.restart?.state === "UP" && s.delay?.state === "DELAY";
      },
      15_000,
      "services UP and one in DELAY",
    );
    // Taking these down lasts 7 s (they ignore SIGTERM): time to look.
    assert.equal((await n.ctl(["down", "shutdown"])).code, 0);
    // fast-restart waits for STARTING, as C nitroctl's: it returns once
    // the 7 s are over, after the steps below looked at RESTART.
    const restarting = n.ctl(["fast-restart", "restart"]);
    await eventually(
      async () => (await n.states()).restart?.state === "RESTART",
      15_000,
      "restart in RESTART",
    );

    await t.step("list: every line matches the exporter's regex", async () => {
      const run = await n.ctl(["list"]);
      assert.deepEqual([run.code, run.stderr], [0, ""]);
      const lines = run.stdout.trimEnd().split("\n");
      const states = new Map<string, string>();
      for (const line of lines) {
        const m = LIST_LINE.exec(line);
        assert.ok(m, `does not match: ${JSON.stringify(line)}`);
        states.set(m[2], m[1]);
      }
      assert.deepEqual(Object.fromEntries(states), {
        delay: "DELAY",
        down: "DOWN",
        "fatal-run": "FATAL",
        "fatal-setup": "FATAL",
        'odd"name\\x': "UP",
        oneshot: "ONESHOT",
        restart: "RESTART",
        setup: "SETUP",
        shutdown: "SHUTDOWN",
        starting: "STARTING",
        up: "UP",
      });
      // The crash loop's exit status is in its line; -1 where a start
      // failed for good, as C nitroctl prints it.
      assert.match(run.stdout, /^DELAY delay \(wstatus 768\) \d+s$/m);
      assert.match(run.stdout, /^FATAL fatal-setup \(wstatus -1\) \d+s$/m);
    });

    await t.step("info: nitro's keys, every value a number", async () => {
      const run = await n.ctl(["info"]);
      assert.deepEqual([run.code, run.stderr], [0, ""]);
      const lines = run.stdout.trimEnd().split("\n");
      assert.deepEqual(
        lines.slice(0, 5).map((l) => l.split(" ")[0]),
        ["nitro_pid", "pid", "max_service", "total_reaps", "total_sv_reaps"],
      );
      for (const l of lines) assert.match(l, /^[a-z_]+ \d+$/);
      assert.ok(lines.includes(`max_service ${Object.keys(SERVICES).length}`));
      const json = JSON.parse((await n.ctl(["--json", "info"])).stdout);
      assert.equal(json.dir, n.dir); // text facts only under --json
    });

    await t.step(
      "status: the reason for each FATAL, the rest for people",
      async () => {
        const run = await n.ctl([
          "status",
          "fatal-run",
          "fatal-setup",
          "delay",
        ]);
        assert.deepEqual([run.code, run.stderr], [0, ""]);
        const blocks = run.stdout.trimEnd().split("\n\n");
        assert.equal(blocks.length, 3);
        const [fatalRun, fatalSetup, delay] = blocks;
        assert.match(fatalRun, /^fatal-run\n {2}state: {5}FATAL/);
        assert.match(fatalRun, /\n {2}reason: {4}.*run.*not executable/);
        assert.match(fatalSetup, /\n {2}reason: {4}setup exited 111/);
        assert.match(delay, /\n {2}last exit: exited 3\n/);
        assert.doesNotMatch(delay, /reason:/);
        const json = JSON.parse(
          (await n.ctl(["--json", "status", "delay"])).stdout,
        );
        assert.equal(json[0].lastExit, "exited 3");
        assert.ok(json[0].restarts >= 1);
      },
    );

    await t.step("metrics: every line of real output parses", async () => {
      const run = await n.ctl(["metrics"]);
      assert.deepEqual([run.code, run.stderr], [0, ""]);
      const { samples } = parseExposition(run.stdout);
      const inState = samples
        .filter((s) => s.name === "nitro_service_state" && s.value === 1)
        .map((s) => `${s.labels.state} ${s.labels.service}`);
      assert.ok(inState.includes('UP odd"name\\x'));
      assert.ok(inState.includes("FATAL fatal-setup"));
      const own = (name: string) =>
        samples.find((s) => s.name === name)?.value ?? -1;
      assert.ok(own("nitro_reaps_total") > 0);
      assert.equal(own("nitro_services"), Object.keys(SERVICES).length);
      assert.ok(own("nitro_open_fds") > 0);
      assert.ok(own("nitro_resident_memory_bytes") > 1_000_000);
    });

    await t.step(
      "a signal for a service without a process: C's no such service, 111",
      async () => {
        const none = await n.ctl(["hup", "down"]);
        assert.deepEqual([none.code, none.stdout, none.stderr], [
          111,
          "",
          "nitroctl: no such service 'down': no process to signal\n",
        ]);
        const fine = await n.ctl(["cont", "up"]);
        assert.deepEqual([fine.code, fine.stderr], [0, ""]);
      },
    );

    await t.step(
      "pidof a nosuch c: the pids found, then the error, 111",
      async () => {
        const run = await n.ctl(["pidof", "up", "nosuch", "setup"]);
        const states = await n.states();
        // A service in SETUP has no pid (run's only, as in C nitro).
        assert.equal(states.setup.pid ?? null, null);
        assert.deepEqual([run.code, run.stdout, run.stderr], [
          111,
          `${states.up.pid}\n`,
          "nitroctl: no such service 'nosuch'\n",
        ]);
      },
    );

    await t.step("-v wait-up prints the state the wait starts in", async () => {
      const run = await n.ctl(["-v", "wait-up", "up"]);
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "UP up\n", ""]);
    });
    assert.equal((await restarting).code, 0);
  } finally {
    await n.stop();
  }
});

Deno.test("start a nosuch c acts on a and c, waits for them, exits 111", async () => {
  const n = await Nitro.create({
    a: { run: SLEEP, down: "" },
    c: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const run = await n.ctl(["-v", "start", "a", "nosuch", "c"]);
    assert.equal(run.code, 111);
    assert.equal(run.stderr, "nitroctl: no such service 'nosuch'\n");
    // It waited: both are UP by the time it returns, and -v showed it.
    const states = await n.states();
    assert.deepEqual([states.a.state, states.c.state], ["UP", "UP"]);
    const lines = run.stdout.trimEnd().split("\n");
    assert.ok(lines.includes("UP a") && lines.includes("UP c"), run.stdout);
  } finally {
    await n.stop();
  }
});

Deno.test("the typed client: start() of a service that ends FATAL throws", async () => {
  const n = await Nitro.create({
    broken: { setup: "#!/bin/sh\nexit 111\n", run: SLEEP, down: "" },
    fine: { run: SLEEP, "notification-fd": "0\n", down: "" },
  });
  try {
    await n.start();
    using nitro = await NitroClient.connect(n.sock);
    let error: unknown;
    try {
      await nitro.start("broken");
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof NitroError, String(error));
    assert.equal(error.code, "failed");
    assert.equal(error.service, "broken");
    assert.equal(error.message, "broken ended FATAL");
    const [detail] = await nitro.status("broken");
    assert.equal(detail.reason, "setup exited 111");
    // A service that does get there resolves (made ready by hand).
    const started = nitro.start("fine");
    await eventually(
      async () => (await nitro.list("fine"))[0].state === "STARTING",
      10_000,
      "fine STARTING",
    );
    await nitro.ready("fine");
    assert.deepEqual(await started, [{ name: "fine", state: "UP", ok: true }]);
  } finally {
    await n.stop();
  }
});

Deno.test("a start that ends FATAL says why: nitroctl names the reason", async () => {
  const n = await Nitro.create({
    noexec: { run: "echo never\n", down: "" }, // not executable
    setup111: { setup: "#!/bin/sh\nexit 111\n", run: SLEEP, down: "" },
    fine: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const r = await n.ctl(["-t", "20", "start", "fine", "noexec", "setup111"]);
    assert.deepEqual([r.code, r.stdout], [1, ""]);
    assert.equal(
      r.stderr,
      "nitroctl: failed to start 'noexec': run is not executable\n" +
        "nitroctl: failed to start 'setup111': setup exited 111\n",
    );
  } finally {
    await n.stop();
  }
});

Deno.test("status says so when a service's directory is gone", async () => {
  // The run says when it runs: a pid alone may still be the shell that is
  // about to exec it, and would find the directory gone.
  const n = await Nitro.create({
    gone: { run: "#!/bin/sh\n: > ../.gone-runs\nexec sleep 1000\n" },
  });
  try {
    await n.start();
    await eventually(
      async () => {
        try {
          await Deno.stat(`${n.dir}/.gone-runs`);
        } catch {
          return false;
        }
        return (await n.states()).gone?.pid != null;
      },
      10_000,
      "gone running",
    );
    await Deno.remove(`${n.dir}/gone`, { recursive: true });
    const killed = await n.ctl(["kill", "gone"]);
    assert.equal(killed.code, 0, killed.stderr);
    await eventually(
      async () => (await n.states()).gone?.state === "FATAL",
      15_000,
      "gone FATAL",
    );
    const run = await n.ctl(["status", "gone"]);
    assert.match(run.stdout, /\n {2}reason: {4}service directory is gone\n/);
    assert.match(run.stdout, /\n {2}last exit: killed by SIGKILL\n/);
  } finally {
    await n.stop();
  }
});

Deno.test("made to give way by a full nitro: nitroctl prints nitro's reason", async () => {
  const n = await Nitro.create({ idle: { run: SLEEP, down: "" } });
  const conns: Deno.UnixConn[] = [];
  await n.start();
  const ctl = spawnCtl(n, ["-v", "wait-up", "idle"]);
  const out = new Lines(ctl.stdout);
  try {
    // nitroctl waits (its first line: the state it waits from), the
    // longest of all: when the table is full it is the one to give way.
    await eventually(() => out.lines.length > 0, 10_000, "nitroctl waiting");
    // Fill the other client slots with waits, then ask for one more.
    // A verbose wait answers its first line at once: then it is in flight.
    const request = new TextEncoder().encode(
      JSON.stringify({
        id: 1,
        op: "wait",
        services: ["idle"],
        wait: "up",
        verbose: true,
      }) + "\n",
    );
    const buffer = new Uint8Array(4096);
    for (let i = 0; i < 64; i++) {
      const conn = await Deno.connect({ transport: "unix", path: n.sock });
      conns.push(conn);
      await conn.write(request);
      const got = await conn.read(buffer);
      assert.ok(got !== null && got > 0, `wait ${i} answered nothing`);
    }
    const errors = new Lines(ctl.stderr);
    const { code } = await ctl.status;
    await errors.done();
    const text = errors.text;
    assert.equal(code, 111);
    assert.match(text, /^nitroctl: too many clients[^\n]*\n$/);
    assert.doesNotMatch(text, /Broken pipe/i);
  } finally {
    for (const conn of conns) conn.close();
    try {
      ctl.kill("SIGKILL");
    } catch {
      // Ended already.
    }
    await out.done();
    await n.stop();
  }
});
