/**
 * Shutdown of the real nitro as pid 1 of a PID namespace: the
 * services go down (one ignoring SIGTERM is SIGKILLed after 7 s), then every
 * other process of the namespace is ended before SYS/final, and nitro, a
 * container's init, exits 0. SIGTERM from outside does the same.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  linesOf,
  procStat,
  sh,
  skipWithoutNamespaces,
} from "../helpers/common.ts";
import { eventually, Nitro, procInfo } from "../helpers/nitro.ts";

const skip = await skipWithoutNamespaces("pid1_shutdown_test");

/** SYS/finish and SYS/final recording their arguments; SYS/final also lists
 * every process of the namespace but pid 1 and itself. */
const SYS = {
  finish: sh('echo "finish $*" >> ../../sys'),
  final: sh(
    'echo "final $*" >> ../../sys',
    "for p in /proc/[0-9]*; do",
    "  p=${p#/proc/}",
    '  [ "$p" = 1 ] || [ "$p" = $$ ] || { read -r c < /proc/$p/comm; echo "$p $c"; }',
    "done > ../../left",
  ),
};

Deno.test({
  name:
    "pid 1 Shutdown: a SIGTERM-proof service dies after 7 s, nothing is left, exit 0",
  ignore: skip !== null,
  fn: async () => {
    const finish = (name: string) => sh(`echo "$1 $2" > ../../${name}`);
    const n = await Nitro.create({
      polite: { run: sh("exec sleep 3600"), finish: finish("polite") },
      // SIG_IGN survives exec: sleep ignores SIGTERM too.
      stubborn: {
        run: sh("trap '' TERM", "exec sleep 3600"),
        finish: finish("stubborn"),
      },
      // Leaves a process in a session of its own: not the service's, so
      // only the final sweep (kill -1) reaches it.
      daemonizer: {
        run: sh(
          "(setsid sleep 3600 < /dev/null > /dev/null 2>&1 &)",
          "exec sleep 3600",
        ),
      },
      SYS,
    }, { pid1: true });
    try {
      await n.start();
      const names = ["polite", "stubborn", "daemonizer"];
      const up = await n.ctl(["-t", "10", "wait-starting", ...names]);
      assert.equal(up.code, 0, up.stderr);
      const pidof = await n.ctl(["pidof", ...names]);
      assert.equal(pidof.code, 0, pidof.stderr);
      const services = pidof.stdout.trim().split("\n").map(Number);
      const hostPidOf = (nsPid: number) =>
        n.processes().find((p) => p.nsPid === nsPid)!.pid;
      const stubborn = hostPidOf(services[1]);
      // The daemonized sleep: re-parented to nitro, yet not a service.
      let orphan = 0;
      await eventually(
        () => {
          orphan = n.processes().find((p) =>
            p.comm === "sleep" && readPpid(p.pid) === n.hostPid &&
            !services.includes(p.nsPid)
          )?.pid ?? 0;
          return orphan !== 0;
        },
        10_000,
        "the daemonized orphan",
      );
      assert.equal(n.processes().length, 5); // nitro, 3 services, the orphan

      const down = await n.ctl(["Shutdown"]);
      assert.equal(down.code, 0, down.stderr);
      // The 7 s before SIGKILL, and the last sweep only once every service
      // is down, are asserted on the virtual clock
      // (tests/daemon/supervisor_test.ts); here, that it all happens.
      const status = await n.wait(20_000);
      assert.equal(status.code, 0, n.stderr);
      assert.deepEqual(linesOf(n.path("polite")), ["-1 15"]);
      assert.deepEqual(linesOf(n.path("stubborn")), ["-1 9"]);
      assert.deepEqual(linesOf(n.path("sys")), [
        "finish 0 0 shutdown",
        "final shutdown",
      ]);
      // At SYS/final, nitro was alone in its namespace.
      assert.deepEqual(linesOf(n.path("left")), []);
      // The console in C nitro's words: the sweep, then SYS/final.
      assert.match(
        n.stderr,
        /\n- nitro: sending SIGTERM to all processes\n done\.\n- nitro: SYS\/final starting\n- nitro: SYS\/final finished with status 0\n/,
      );
      assert.equal(procInfo(stubborn), null);
      assert.equal(procInfo(orphan), null);
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name: "pid 1 of a container: SIGINT from outside reboots, SIGTERM shuts down",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({
      a: { run: sh("exec sleep 3600") },
      SYS: { ...SYS, setup: sh('echo "setup" >> ../../sys') },
    }, { pid1: true });
    try {
      await n.start();
      const up = await n.ctl(["-t", "10", "wait-starting", "a"]);
      assert.equal(up.code, 0, up.stderr);
      Deno.kill(n.hostPid, "SIGINT");
      await eventually(() => linesOf(n.path("sys")).length === 4);
      const again = await n.ctl(["-t", "10", "wait-starting", "a"]);
      assert.equal(again.code, 0, again.stderr);
      Deno.kill(n.hostPid, "SIGTERM");
      const status = await n.wait(10_000);
      assert.equal(status.code, 0, n.stderr);
      assert.deepEqual(linesOf(n.path("sys")), [
        "setup",
        "finish 0 0 reboot",
        "final reboot",
        "setup",
        "finish 0 0 shutdown",
        "final shutdown",
      ]);
      assert.deepEqual(linesOf(n.path("left")), []);
    } finally {
      await n.stop();
    }
  },
});

function readPpid(pid: number): number {
  return procStat(pid)?.ppid ?? 0;
}
