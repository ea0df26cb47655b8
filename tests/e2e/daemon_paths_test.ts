/**
 * SERVICE paths and templates, with a real nitro: `.` and
 * `../x` from a script's cwd (and from nitroctl's cwd), `nitroctl down .`
 * from a finish script preventing the restart (also for one instance of a
 * template), templates `name@` with symlinked instances and instances
 * created by `up`/`start`/`restart x@y`, `up x@` failing, `stop`, `pidof`
 * and `down` never creating instances, and rescan dropping DOWN instances
 * nothing refers to.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { ctlScript, readOr, sh } from "../helpers/daemon.ts";

const SLEEP = sh("exec sleep 1000");

Deno.test("paths `.` and `../x` name services, from a script and from nitroctl's cwd", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const CTL = ctlScript(n);
  // c's directory lives elsewhere, behind a symlink.
  const elsewhere = join(R, "elsewhere", "c-real");
  writeServices(join(R, "elsewhere"), { "c-real": { run: SLEEP } });
  writeServices(n.dir, {
    a: {
      run: sh(
        `echo $$ > ${R}/a.pid`,
        `${CTL} pidof . > ${R}/a.self`,
        `${CTL} pidof ../b > ${R}/a.b`,
        `echo done > ${R}/a.done`,
        "exec sleep 1000",
      ),
    },
    b: { run: SLEEP },
    c: { link: elsewhere },
  });
  try {
    await n.start();
    await eventually(() => readOr(`${R}/a.done`) !== "", 10_000, "a's run");
    const s = await n.states();
    assert.equal(readOr(`${R}/a.self`), readOr(`${R}/a.pid`));
    assert.equal(readOr(`${R}/a.self`), `${s.a.pid}\n`);
    assert.equal(readOr(`${R}/a.b`), `${s.b.pid}\n`);

    const self = await n.ctl(["pidof", "."], { cwd: join(n.dir, "a") });
    assert.equal(self.code, 0, self.stderr);
    assert.equal(self.stdout, `${s.a.pid}\n`);
    const sib = await n.ctl(["list", "../b"], { cwd: join(n.dir, "a") });
    assert.equal(sib.code, 0, sib.stderr);
    assert.match(sib.stdout, /^\w+ b \(pid \d+\) \(wstatus \d+\) \d+s\n$/);
    // A symlinked service directory: `.` is its real directory.
    const viaLink = await n.ctl(["pidof", "."], { cwd: join(n.dir, "c") });
    assert.equal(viaLink.code, 0, viaLink.stderr);
    assert.equal(viaLink.stdout, `${s.c.pid}\n`);
    // Paths that are no service: 111.
    const none = await n.ctl(["pidof", "."], { cwd: R });
    assert.equal(none.code, 111);
    const missing = await n.ctl(["pidof", "../nope"], {
      cwd: join(n.dir, "a"),
    });
    assert.equal(missing.code, 111);
  } finally {
    await n.stop();
  }
});

Deno.test("`nitroctl down .` in finish prevents the restart, for a service and for one instance", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const CTL = ctlScript(n);
  writeServices(n.dir, {
    once: {
      run: sh(`echo x >> ${R}/once.count`, "exit 0"),
      finish: sh(`${CTL} down .`, `echo "$?" > ${R}/once.finish`),
    },
    "w@": {
      run: sh(
        `echo x >> ${R}/w-$1.count`,
        `[ "$1" = 1 ] && exit 0`,
        "exec sleep 1000",
      ),
      finish: sh(`${CTL} down .`),
    },
    "w@1": { link: "w@" },
    "w@2": { link: "w@" },
  });
  try {
    await n.start();
    await eventually(
      async () => {
        const s = await n.states();
        return s.once.state === "DOWN" && s["w@1"].state === "DOWN";
      },
      10_000,
      "once and w@1 to go down",
    );
    assert.equal(readOr(`${R}/once.finish`), "0\n");
    // Long enough for a DELAY to have ended in a new start.
    await new Promise((r) => setTimeout(r, 2500));
    const s = await n.states();
    assert.equal(s.once.state, "DOWN");
    assert.equal(s["w@1"].state, "DOWN");
    assert.equal(s["w@2"].state, "UP");
    assert.equal(readOr(`${R}/once.count`), "x\n");
    assert.equal(readOr(`${R}/w-1.count`), "x\n");
    assert.equal(readOr(`${R}/w-2.count`), "x\n");
  } finally {
    await n.stop();
  }
});

Deno.test("templates: symlinked and created instances run the template with PARAM; up x@ fails; stop/pidof/down never create; rescan drops unreferenced DOWN instances", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    "t@": {
      run: sh(`echo "$# $1 $(pwd -P)" > ${R}/t-$1.info`, "exec sleep 1000"),
    },
    "t@one": { link: "t@" },
  });
  try {
    await n.start();
    const tdir = Deno.realPathSync(join(n.dir, "t@"));
    const names = async () => Object.keys(await n.states()).sort();
    await eventually(() => readOr(`${R}/t-one.info`) !== "");
    assert.equal(readOr(`${R}/t-one.info`), `1 one ${tdir}\n`);
    assert.deepEqual(await names(), ["t@one"]);

    const up = await n.ctl(["up", "t@two"]);
    assert.equal(up.code, 0, up.stderr);
    const start = await n.ctl(["-t", "10", "start", "t@four"]);
    assert.equal(start.code, 0, start.stderr);
    const restart = await n.ctl(["-t", "10", "restart", "t@five"]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.deepEqual(await names(), ["t@five", "t@four", "t@one", "t@two"]);
    assert.equal(readOr(`${R}/t-two.info`), `1 two ${tdir}\n`);
    assert.equal(readOr(`${R}/t-four.info`), `1 four ${tdir}\n`);
    const s = await n.states();
    assert.equal(s["t@four"].state, "UP");
    assert.equal(s["t@five"].state, "UP");

    // A bare template is not a service.
    const bare = await n.ctl(["up", "t@"]);
    assert.equal(bare.code, 111, bare.stderr);
    const bareStart = await n.ctl(["-t", "5", "start", "t@"]);
    assert.equal(bareStart.code, 111, bareStart.stderr);
    // No instance of a missing template.
    const nosuch = await n.ctl(["up", "nosuch@x"]);
    assert.equal(nosuch.code, 111, nosuch.stderr);
    assert.match(nosuch.stderr, /nosuch@x/);
    // stop, pidof, down (and list) never create.
    for (const cmd of ["stop", "pidof", "down", "d", "list", "wait-up"]) {
      const r = await n.ctl(["-t", "5", cmd, "t@three"]);
      assert.equal(r.code, 111, `${cmd}: ${r.stderr}`);
    }
    assert.deepEqual(await names(), ["t@five", "t@four", "t@one", "t@two"]);

    // Rescan drops DOWN instances that exist only in memory.
    const stop = await n.ctl(["-t", "10", "stop", "t@two", "t@one"]);
    assert.equal(stop.code, 0, stop.stderr);
    const rescan = await n.ctl(["rescan"]);
    assert.equal(rescan.code, 0, rescan.stderr);
    assert.deepEqual(await names(), ["t@five", "t@four", "t@one"]);
    assert.equal((await n.states())["t@one"].state, "DOWN");
    // A removed instance is as new when created again.
    const again = await n.ctl(["-t", "10", "fast-start", "t@two"]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok("t@two" in await n.states());
  } finally {
    await n.stop();
  }
});
