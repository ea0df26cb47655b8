/**
 * Behaving exactly like nitro, with a real nitro and the event stream read
 * as a user reads it: service discovery, the passing DOWN events, SYS, the
 * LOG@ fallback, instance arguments, a relative DIR, requests that change
 * nothing, SYS/finish logged, and the console lines.
 *
 * @module
 */

import assert from "node:assert/strict";
import { delay, eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { ctlScript, EventLog, readOr, sh, within } from "../helpers/daemon.ts";

/** `STATE name` of every event of the listed services, in order. */
function seq(log: EventLog, ...names: string[]): string[] {
  return log.events.filter((e) => names.includes(e.name)).map((e) =>
    `${e.state} ${e.name}`
  );
}

async function withNitro(
  services: Parameters<typeof writeServices>[1],
  body: (n: Nitro, log: EventLog) => Promise<void>,
  opts: { args?: (n: Nitro) => string[]; cwd?: string } = {},
): Promise<void> {
  const n = await Nitro.create(services);
  let log: EventLog | null = null;
  try {
    await n.start(opts.args ? { args: opts.args(n) } : {});
    log = await EventLog.open(n.sock);
    await body(n, log);
  } finally {
    await log?.close();
    await n.stop();
  }
}

Deno.test("a crash of an UP service reads RESTART, DOWN, STARTING, UP", async () => {
  await withNitro({
    web: { run: sh("exec sleep 1000"), "notification-fd": "3" },
  }, async (n, log) => {
    // notification-fd 3 without a write: only `ready` makes it UP.
    await n.ctl(["ready", "web"]);
    await log.waitFor((e) => e.name === "web" && e.state === "UP");
    // It must have run ≥ 2 s to be restarted at once (no DELAY).
    await delay(2200);
    const { web } = await n.states();
    Deno.kill(web.pid!, "SIGKILL");
    await log.waitFor(
      (e) => e.name === "web" && e.state === "STARTING" && e.pid !== web.pid,
    );
    await n.ctl(["ready", "web"]);
    await log.waitFor((e) =>
      e.name === "web" && e.state === "UP" && e.pid !== web.pid
    );
    assert.deepEqual(seq(log, "web").slice(-4), [
      "RESTART web",
      "DOWN web",
      "STARTING web",
      "UP web",
    ]);
  });
});

Deno.test("nitroctl hup web, dying of SIGHUP: the same events; finish gets -1 1", async () => {
  const n0 = await Deno.makeTempDir();
  const trace = `${n0}/finish.args`;
  try {
    await withNitro({
      web: {
        run: sh("exec sleep 1000"),
        finish: sh(`echo "$*" >> ${trace}`),
        "notification-fd": "0",
      },
    }, async (n, log) => {
      await n.ctl(["ready", "web"]);
      await log.waitFor((e) => e.name === "web" && e.state === "UP");
      await delay(2200); // ran ≥ 2 s: restarted at once, no DELAY
      const r = await n.ctl(["hup", "web"]);
      assert.equal(r.code, 0, r.stderr);
      await log.waitFor((e) =>
        e.name === "web" && e.state === "STARTING" &&
        log.states("web").filter((s) => s === "STARTING").length === 2
      );
      await n.ctl(["ready", "web"]);
      await eventually(() => log.states("web").length >= 6);
      assert.deepEqual(seq(log, "web"), [
        "STARTING web",
        "UP web",
        "RESTART web",
        "DOWN web",
        "STARTING web",
        "UP web",
      ]);
      assert.equal(readOr(trace), "-1 1\n");
    });
  } finally {
    await Deno.remove(n0, { recursive: true });
  }
});

Deno.test("SYS: SETUP SYS, a started by setup, DOWN SYS, then the others; `down b` sticks", async () => {
  const n = await Nitro.create();
  const CTL = ctlScript(n);
  writeServices(n.dir, {
    SYS: { setup: sh(`${CTL} -t 10 start a`, `${CTL} down b`, "exit 3") },
    a: { run: sh("exec sleep 1000") },
    b: { run: sh("exec sleep 1000") },
    c: { run: sh("exec sleep 1000") },
  });
  let log: EventLog | null = null;
  try {
    await n.start();
    log = await EventLog.open(n.sock);
    await n.ctl(["-t", "10", "wait-starting", "c"]);
    // The log's own connection may see the event a moment after nitroctl.
    await log.waitFor((e) => e.name === "c" && e.state === "STARTING");
    const got = seq(log, "SYS", "a", "b", "c").filter((l) =>
      !l.startsWith("UP c")
    );
    assert.deepEqual(got.slice(0, 6), [
      "SETUP SYS",
      "STARTING a",
      "UP a",
      "DOWN b",
      "DOWN SYS",
      "STARTING c",
    ]);
    assert.ok(!got.includes("STARTING b"), got.join(", "));
    const list = await n.ctl(["list"]);
    assert.doesNotMatch(list.stdout, /SYS/, "SYS leaves the list");
    assert.match(list.stdout, /^DOWN b /m);
    assert.match(n.stderr, /^- nitro: booting$/m);
    // The raw wait status of exit 3, as C nitro prints it.
    assert.match(n.stderr, /^- nitro: SYS\/setup finished with status 768$/m);
  } finally {
    await log?.close();
    await n.stop();
  }
});

Deno.test("discovery: no run → one-shot, nothing → no service, run not executable → FATAL with a reason", async () => {
  await withNitro({
    once: { setup: sh("exit 0") },
    empty: { "README": "nothing here" },
    broken: { run: "echo not executable\n" },
  }, async (n) => {
    await eventually(async () => {
      const s = await n.states();
      return s.once?.state === "ONESHOT" && s.broken?.state === "FATAL";
    });
    assert.equal((await n.states()).empty, undefined);
    assert.match(n.stderr, /^- nitro: no such service: empty$/m);
    const st = await n.ctl(["--json", "status", "broken"]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /run is not executable/);
    assert.match(n.stderr, /^- nitro: broken: run is not executable$/m);
  });
});

Deno.test("an instance directory NAME@PARAM runs the template's scripts with PARAM; finish gets STATUS SIGNAL PARAM", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await withNitro({
      "greet@": {
        run: sh(`echo "run $0 $*" >> ${tmp}/trace`, "exec sleep 1000"),
        finish: sh(`echo "finish $0 $*" >> ${tmp}/trace`),
      },
      "greet@tty3": { run: sh(`echo WRONG >> ${tmp}/trace`) },
    }, async (n, log) => {
      await log.waitFor((e) =>
        e.name === "greet@tty3" && e.state === "STARTING"
      );
      await eventually(() => readOr(`${tmp}/trace`).includes("run"));
      const r = await n.ctl(["-t", "10", "stop", "greet@tty3"]);
      assert.equal(r.code, 0, r.stderr);
      await eventually(() => readOr(`${tmp}/trace`).includes("finish"));
      const trace = readOr(`${tmp}/trace`);
      assert.doesNotMatch(trace, /WRONG/);
      assert.match(trace, /^run \S*run tty3$/m);
      assert.match(trace, /^finish \S*finish -1 15 tty3$/m);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("rescan: a DOWN instance without an entry is forgotten, one with an entry stays; a renamed template brings its `up` instances down", async () => {
  await withNitro({
    "sv@": { run: sh("exec sleep 1000") },
    "sv@three": { link: "sv@" },
  }, async (n, log) => {
    assert.equal((await n.ctl(["up", "sv@one", "sv@two"])).code, 0);
    await n.ctl(["-t", "10", "stop", "sv@one", "sv@three"]);
    await n.ctl(["rescan"]);
    let s = await n.states();
    assert.equal(s["sv@one"], undefined, "sv@one is forgotten");
    assert.equal(s["sv@three"]?.state, "DOWN", "sv@three stays");
    Deno.renameSync(`${n.dir}/sv@`, `${n.dir}/sv@.old`);
    await n.ctl(["rescan"]);
    await log.waitFor((e) => e.name === "sv@two" && e.state === "DOWN");
    await n.ctl(["rescan"]);
    s = await n.states();
    assert.equal(s["sv@two"], undefined);
  });
});

Deno.test("LOG@: sv@one logs into LOG@one, web into LOG@web; two leaves no trace", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await withNitro({
      "LOG@": { run: sh(`exec cat >> ${tmp}/log.$1`) },
      "sv@": { run: sh("echo hello from $1", "exec sleep 1000") },
      web: { run: sh("echo hello web", "exec sleep 1000") },
    }, async (n) => {
      await n.ctl(["-t", "10", "start", "sv@one", "sv@two"]);
      await eventually(() =>
        readOr(`${tmp}/log.one`).includes("hello from one") &&
        readOr(`${tmp}/log.web`).includes("hello web")
      );
      const s = await n.states();
      assert.equal(s["LOG@one"]?.state, "UP");
      assert.equal(s["LOG@sv@one"], undefined);
      await n.ctl(["-t", "10", "stop", "sv@two", "LOG@two"]);
      await n.ctl(["rescan"]);
      await n.ctl(["rescan"]);
      const list = (await n.ctl(["list"])).stdout;
      assert.doesNotMatch(list, /two/);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a request that changes nothing still emits the current state", async () => {
  await withNitro({
    x: { run: sh("exec sleep 1000"), down: "" },
    y: { run: sh("exec sleep 1000"), "notification-fd": "0" },
  }, async (n, log) => {
    await n.ctl(["stop", "x"]);
    await log.waitFor((e) => e.name === "x" && e.state === "DOWN");
    await n.ctl(["-t", "10", "fast-start", "y"]);
    await n.ctl(["ready", "y"]);
    await log.waitFor((e) => e.name === "y" && e.state === "UP");
    // `ready` announces UP twice (the change, and the request's own).
    const ups = () =>
      log.all.filter((e) => e.name === "y" && e.notice === "UP").length;
    await eventually(() => ups() === 2);
    await n.ctl(["up", "y"]);
    await eventually(() => ups() === 3);
  });
});

Deno.test("`nitro .` and `nitro sv` resolve DIR once", async () => {
  for (const rel of [".", "svc"]) {
    const n = await Nitro.create({ hello: { run: sh("exec sleep 1000") } });
    try {
      const cwd = rel === "." ? n.dir : n.root;
      await n.start({ args: [rel], cwd });
      await n.ctl(["-t", "10", "wait-starting", "hello"]);
      const s = await n.states();
      assert.equal(s.hello.state !== "FATAL", true, n.stderr);
      assert.ok(s.hello.pid !== null);
    } finally {
      await n.stop();
    }
  }
});

Deno.test("SYS/finish writes into LOG; Shutdown prints nitro's console lines", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const n = await Nitro.create({
      SYS: { finish: sh("echo goodbye from finish") },
      LOG: { run: sh(`exec cat >> ${tmp}/log`) },
      web: { run: sh("exec sleep 1000") },
    });
    try {
      await n.start();
      await n.ctl(["-t", "10", "wait-starting", "web", "LOG"]);
      await n.ctl(["Shutdown"]);
      await within(n.exitStatus!, 20_000, "nitro to exit");
      assert.match(readOr(`${tmp}/log`), /goodbye from finish/);
      assert.doesNotMatch(n.stdout, /goodbye/);
      const lines = n.stderr.split("\n");
      // As C nitro: loggers uncounted, a dot per look (how many: timing).
      const order = [
        /^- nitro: booting$/,
        /^- nitro: shutting down$/,
        /^- nitro: SYS\/finish finished$/,
        /^- nitro: waiting for 1 services to finish\.+ done\.$/,
        /^- nitro: finished$/,
      ];
      let at = -1;
      for (const line of order) {
        const i = lines.findIndex((l, k) => k > at && line.test(l));
        assert.ok(i > at, `${line} missing or out of order:\n${n.stderr}`);
        at = i;
      }
    } finally {
      await n.stop();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
