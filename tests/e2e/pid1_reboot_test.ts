/**
 * Reboot and hand-over of the real nitro as pid 1 of a PID namespace: a
 * container's init boots again on Reboot (also when nitroctl is
 * invoked as `reboot`), stops on `halt`, and with SYS/reincarnate execs
 * into it at the end instead of exiting.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  exists,
  linesOf,
  sh,
  skipWithoutNamespaces,
} from "../helpers/common.ts";
import {
  eventually,
  Nitro,
  parseInfo,
  writeServices,
} from "../helpers/nitro.ts";

const skip = await skipWithoutNamespaces("pid1_reboot_test");

/** UP at once: readiness on fd 3. */
const READY = {
  run: sh("echo >&3", "exec sleep 3600"),
  "notification-fd": "3",
};

/** SYS scripts that record each run in the file `sys`. */
const SYS = {
  setup: sh('echo "setup $$" >> ../../sys'),
  finish: sh('echo "finish $*" >> ../../sys'),
  final: sh('echo "final $*" >> ../../sys'),
};

Deno.test({
  name:
    "pid 1 of a container: Reboot boots again, SYS/setup twice, services UP",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({ a: READY, b: READY, SYS }, { pid1: true });
    try {
      await n.start();
      const up = await n.ctl(["-t", "10", "wait-up", "a", "b"]);
      assert.equal(up.code, 0, up.stderr);
      const before = (await n.ctl(["pidof", "a", "b"])).stdout;

      const reboot = await n.ctl(["Reboot"]);
      assert.equal(reboot.code, 0, reboot.stderr);
      await eventually(
        () => linesOf(n.path("sys")).length === 4,
        10_000,
        "SYS/setup to run again",
      );
      const again = await n.ctl(["-t", "10", "wait-up", "a", "b"]);
      assert.equal(again.code, 0, again.stderr);
      const sys = linesOf(n.path("sys"));
      assert.match(sys[0], /^setup \d+$/);
      assert.deepEqual(sys.slice(1, 3), ["finish 0 0 reboot", "final reboot"]);
      assert.match(sys[3], /^setup \d+$/);

      // Same nitro, still pid 1; new service processes.
      const info = parseInfo((await n.ctl(["--json", "info"])).stdout);
      assert.deepEqual([info.pid, info.pid1], ["1", "true"]);
      assert.equal(n.processes()[0].nsPid, 1);
      const after = (await n.ctl(["pidof", "a", "b"])).stdout;
      assert.notEqual(after, before);
      assert.match((await n.ctl(["list", "a"])).stdout, /^UP a \(pid \d+\)/);
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name:
    "pid 1: nitroctl as `reboot` boots again, `init q` rescans, `halt` ends",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({ a: READY, SYS }, { pid1: true });
    try {
      await n.start();
      assert.equal((await n.ctl(["-t", "10", "wait-up", "a"])).code, 0);

      const reboot = await n.ctl(["--as=reboot"]);
      assert.equal(reboot.code, 0, reboot.stderr);
      await eventually(() => linesOf(n.path("sys")).length === 4);
      assert.equal((await n.ctl(["-t", "10", "wait-up", "a"])).code, 0);

      writeServices(n.dir, { b: READY });
      const rescan = await n.ctl(["--as=init", "q"]);
      assert.equal(rescan.code, 0, rescan.stderr);
      const b = await n.ctl(["-t", "10", "wait-up", "b"]);
      assert.equal(b.code, 0, b.stderr);

      const halt = await n.ctl(["--as=halt"]);
      assert.equal(halt.code, 0, halt.stderr);
      const status = await n.wait(10_000);
      assert.equal(status.code, 0, n.stderr);
      const sys = linesOf(n.path("sys"));
      assert.deepEqual(sys.slice(4), ["finish 0 0 shutdown", "final shutdown"]);
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name: "pid 1: at Shutdown nitro execs into SYS/reincarnate",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({ a: READY }, { pid1: true });
    const marker = n.path("reincarnated");
    writeServices(n.dir, {
      SYS: {
        final: sh('echo "final $*" >> ../../sys'),
        reincarnate: sh(
          `echo "pid $$ args $# sock $NITRO_SOCK" > ${marker}`,
          "exit 0",
        ),
      },
    });
    try {
      await n.start();
      assert.equal((await n.ctl(["-t", "10", "wait-up", "a"])).code, 0);
      const down = await n.ctl(["Shutdown"]);
      assert.equal(down.code, 0, down.stderr);
      const status = await n.wait(10_000);
      assert.equal(status.code, 0, n.stderr);
      // It ran as pid 1 with nitro's environment, after the whole shutdown.
      assert.deepEqual(linesOf(marker), [`pid 1 args 0 sock ${n.sock}`]);
      // It took over before SYS/final, as in C nitro: SYS/final never ran.
      assert.deepEqual(linesOf(n.path("sys")), []);
      // The socket was closed before the hand-over, as by nitro's exit.
      assert.ok(!exists(n.sock), "the socket is left behind");
    } finally {
      await n.stop();
    }
  },
});
