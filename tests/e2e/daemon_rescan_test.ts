/**
 * `rescan`/`scan` (and the clean-up of instances, see also
 * daemon_paths_test.ts): added services start unless they have `down`,
 * removed ones are stopped (also when removed while up) and dropped,
 * running services are left alone, `down` is only read when a service is
 * first seen.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { alive, readOr, sh } from "../helpers/daemon.ts";

const SLEEP = sh("exec sleep 1000");

Deno.test("rescan starts added services (not `down` ones), stops and drops removed ones, leaves the rest alone", async () => {
  const n = await Nitro.create();
  const R = n.root;
  writeServices(n.dir, {
    a: { run: sh(`echo x >> ${R}/a.count`, "exec sleep 1000") },
    keep: { run: SLEEP },
    dn: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const up = await n.ctl(["-t", "10", "wait-starting", "a", "keep"]);
    assert.equal(up.code, 0, up.stderr);
    const before = await n.states();
    assert.equal(before.dn.state, "DOWN");

    writeServices(n.dir, {
      b: { run: sh(`echo x >> ${R}/b.count`, "exec sleep 1000") },
      c: { run: sh(`echo x >> ${R}/c.count`, "exec sleep 1000"), down: "" },
      "d@": { run: sh(`echo "$1" >> ${R}/d.count`, "exec sleep 1000") },
      "d@x": { link: "d@" },
    });
    // Removed while up, and removed while down.
    Deno.removeSync(join(n.dir, "a"), { recursive: true });
    Deno.removeSync(join(n.dir, "dn"), { recursive: true });
    // `down` is only read when a service is first seen.
    Deno.writeTextFileSync(join(n.dir, "keep", "down"), "");

    const r = await n.ctl(["rescan"]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(
      async () => {
        const s = await n.states();
        return !("a" in s) && !("dn" in s);
      },
      10_000,
      "a and dn to be dropped",
    );
    assert.ok(!alive(before.a.pid!), "a's run survived its removal");
    const s = await n.states();
    assert.deepEqual(Object.keys(s).sort(), ["b", "c", "d@x", "keep"]);
    assert.equal(s.c.state, "DOWN");
    assert.equal(s.keep.pid, before.keep.pid);
    assert.notEqual(s.keep.state, "DOWN");
    const started = await n.ctl(["-t", "5", "wait-starting", "b", "d@x"]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(readOr(`${R}/b.count`), "x\n");
    assert.equal(readOr(`${R}/d.count`), "x\n");
    assert.equal(readOr(`${R}/c.count`), "");
    assert.equal(readOr(`${R}/a.count`), "x\n");

    // `scan` is rescan; a service added again under an old name is new.
    writeServices(n.dir, {
      a: { run: sh(`echo y >> ${R}/a.count`, "exec sleep 1000") },
    });
    const scan = await n.ctl(["scan"]);
    assert.equal(scan.code, 0, scan.stderr);
    const again = await n.ctl(["-t", "5", "wait-starting", "a"]);
    assert.equal(again.code, 0, again.stderr);
    await eventually(() => readOr(`${R}/a.count`) === "x\ny\n");
    // A second rescan with nothing changed changes nothing.
    const brief = async () =>
      Object.entries(await n.states()).map(([k, v]) => [k, v.pid]);
    const pids = await brief();
    assert.equal((await n.ctl(["rescan"])).code, 0);
    assert.deepEqual(await brief(), pids);

    // A template removed: its instances (on disk or in memory) are stopped
    // and dropped.
    const made = await n.ctl(["-t", "5", "fast-start", "d@y"]);
    assert.equal(made.code, 0, made.stderr);
    const instances = await n.states();
    Deno.removeSync(join(n.dir, "d@"), { recursive: true });
    Deno.removeSync(join(n.dir, "d@x"));
    assert.equal((await n.ctl(["rescan"])).code, 0);
    await eventually(
      async () => {
        const s = await n.states();
        return !("d@x" in s) && !("d@y" in s);
      },
      10_000,
      "d@x and d@y to be dropped",
    );
    assert.ok(!alive(instances["d@x"].pid!));
    assert.ok(!alive(instances["d@y"].pid!));
  } finally {
    await n.stop();
  }
});
