/**
 * The notify directory with real processes and a real datagram socket bound
 * in `notify/`: the exact bytes, and the sequence of states announced for a
 * boot, SYS/setup and SYS/finish, a crash loop (with and without finish),
 * setup exiting 111, `ready`, down/up, and a request that changes nothing.
 * The same expectations are checked against C nitro where it can be built,
 * so they are C nitro's sequences, not ours.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually } from "../helpers/nitro.ts";
import { sh } from "../helpers/daemon.ts";
import { cMissing, type Flavour, Program } from "../helpers/side_by_side.ts";

const SLEEP = sh("exec sleep 1000");

const SERVICES = {
  SYS: { setup: sh("exit 0"), finish: sh("exit 0") },
  a: { run: SLEEP },
  b: { setup: sh("exit 0"), run: SLEEP },
  crash: { run: sh("exit 1") },
  cf: { run: sh("exit 1"), finish: sh("exit 0") },
  bad: { setup: sh("exit 111"), run: SLEEP },
  manual: { run: SLEEP, "notification-fd": "0" },
  empty: {},
};

async function wire(t: Deno.TestContext, flavour: Flavour): Promise<void> {
  const p = await Program.create(flavour, SERVICES);
  let stuck: Deno.DatagramConn | null = null;
  try {
    const all = p.listen("ALL,test");
    const onlyA = p.listen("a,1");
    const hidden = p.listen(".ALL,hidden");
    const other = p.listen("ab,1");
    // A receiver that went away: its socket file is left behind.
    const dead = join(p.notifyDir, "ALL,dead");
    Deno.listenDatagram({ transport: "unixpacket", path: dead }).close();
    // A receiver that never reads: it must not hold up the others.
    stuck = Deno.listenDatagram({
      transport: "unixpacket",
      path: join(p.notifyDir, "ALL,stuck"),
    });
    await p.start();

    await t.step(
      "boot: SYS/setup, then each service as it comes up",
      async () => {
        assert.deepEqual(await all.count("SYS", 3), [
          "SETUP",
          "ONESHOT",
          "DOWN",
        ]);
        assert.deepEqual(await all.count("a", 2), ["STARTING", "UP"]);
        assert.deepEqual(await all.count("b", 3), ["SETUP", "STARTING", "UP"]);
        assert.deepEqual(await all.count("manual", 1), ["STARTING"]);
      },
    );

    await t.step("the bytes: length, 0, state number, the name", () => {
      const first = all.raw.find((b) =>
        new TextDecoder().decode(b.subarray(3)) === "a"
      )!;
      assert.deepEqual(Array.from(first), [1, 0, 3, 0x61]); // STARTING a
    });

    await t.step(
      "NAME, gets only its own; dot entries and others nothing",
      () => {
        assert.deepEqual(onlyA.packets, ["a STARTING", "a UP"]);
        assert.deepEqual(hidden.packets, []);
        assert.deepEqual(other.packets, []);
      },
    );

    await t.step("a socket nobody reads any more is unlinked", async () => {
      await eventually(
        () => {
          try {
            Deno.lstatSync(dead);
            return false;
          } catch {
            return true;
          }
        },
        5000,
        "ALL,dead to be unlinked",
      );
    });

    await t.step("a crash loop: STARTING, DOWN, again", async () => {
      const seq = await all.count("crash", 4);
      assert.deepEqual(seq.slice(0, 4), [
        "STARTING",
        "DOWN",
        "STARTING",
        "DOWN",
      ]);
    });

    await t.step(
      "a crash with finish: STARTING again while finish runs",
      async () => {
        const seq = await all.count("cf", 6);
        assert.deepEqual(seq.slice(0, 6), [
          "STARTING",
          "STARTING",
          "DOWN",
          "STARTING",
          "STARTING",
          "DOWN",
        ]);
      },
    );

    await t.step("setup exiting 111: SETUP, FATAL", async () => {
      assert.deepEqual(await all.count("bad", 2), ["SETUP", "FATAL"]);
    });

    await t.step("the empty directory is never announced", () => {
      assert.deepEqual(all.of("empty"), []);
    });

    await t.step("ready: UP, and the request's answer UP", async () => {
      assert.equal((await p.ctl(["ready", "manual"])).code, 0);
      assert.deepEqual(await all.count("manual", 3), ["STARTING", "UP", "UP"]);
    });

    await t.step("down, up, and an up that changes nothing", async () => {
      assert.equal((await p.ctl(["down", "a"])).code, 0);
      assert.deepEqual((await all.count("a", 4)).slice(2), [
        "SHUTDOWN",
        "DOWN",
      ]);
      assert.equal((await p.ctl(["up", "a"])).code, 0);
      assert.deepEqual((await all.count("a", 7)).slice(4), [
        "STARTING",
        "STARTING",
        "UP",
      ]);
      assert.equal((await p.ctl(["up", "a"])).code, 0);
      assert.deepEqual((await all.count("a", 8)).slice(7), ["UP"]);
    });

    await t.step(
      "the end: SYS/finish as a one-shot's finish, then DOWN",
      async () => {
        const before = all.of("SYS").length;
        await p.terminate();
        assert.deepEqual(all.of("SYS").slice(before), ["ONESHOT", "DOWN"]);
        assert.deepEqual(all.of("b").slice(3), ["DOWN"]);
        assert.deepEqual(all.of("a").slice(8), ["DOWN"]);
      },
    );
  } finally {
    stuck?.close();
    await p.cleanup();
  }
}

Deno.test("notify: the sequences C nitro sends, sent by this nitro", async (t) => {
  await wire(t, "ours");
});

Deno.test("notify: the same sequences from C nitro itself", async (t) => {
  const missing = await cMissing();
  if (missing !== null) {
    console.log(`skipped: no C nitro: ${missing}`);
    return;
  }
  await wire(t, "c");
});

Deno.test("notify: a notify directory open to others is refused (exit 111)", async () => {
  const p = await Program.create("ours", { a: { run: SLEEP } });
  try {
    Deno.chmodSync(p.notifyDir, 0o777);
    await p.start().catch(() => {});
    await eventually(() => p.status !== null, 20_000, "nitro to exit");
    assert.equal(p.status!.code, 111);
    assert.match(
      p.console,
      new RegExp(`${p.notifyDir}: writable by group or others \\(mode 0777\\)`),
    );
  } finally {
    await p.cleanup();
  }
});

Deno.test("notify: a missing notify directory is created 0700", async () => {
  const p = await Program.create("ours", { a: { run: SLEEP } });
  try {
    Deno.removeSync(p.notifyDir);
    await p.start();
    const st = Deno.lstatSync(p.notifyDir);
    assert.ok(st.isDirectory);
    assert.equal((st.mode ?? 0) & 0o777, 0o700);
  } finally {
    await p.cleanup();
  }
});
