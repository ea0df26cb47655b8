/**
 * pid 1's child handling, each run as pid 1 of a fresh PID namespace:
 * orphans get reaped while `Deno.Command` statuses stay intact, and
 * `killAll` ends everything else (SIGKILL after the grace period).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fixture,
  isolatedRootSetup,
  runAsPid1,
} from "../init_fixtures/harness.ts";
import { skipWithoutNamespaces } from "../helpers/common.ts";

const skip = await skipWithoutNamespaces("init/pid1_reap_test");

Deno.test({
  name: "reapOrphans reaps 100 orphans; our children's statuses survive",
  ignore: skip !== null,
  fn: async () => {
    const run = await runAsPid1(fixture("reap.ts"));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.result, {
      reaped: 100,
      codes: Array.from({ length: 20 }, (_, i) => i + 7),
      nodeCodes: Array.from({ length: 10 }, (_, i) => i + 40),
      orphanShell: 3,
      slowCode: 7,
      others: [], // no zombie (nor anything else) left
      running: 0,
      nobodyLeft: true,
      warnings: [],
    });
  },
});

for (const proc of ["absent", "decoy"] as const) {
  Deno.test({
    // A decoy /proc lists no process: reaping must not depend on a listing,
    // whose cost grows with every process on the machine (a scan on each
    // SIGCHLD let any user who orphans processes in a loop stall pid 1).
    name: `reapOrphans reaps every orphan from waitid alone (/proc ${proc})`,
    ignore: skip !== null,
    fn: async () => {
      const root = await Deno.makeTempDir({ prefix: "nitro-init-root-" });
      try {
        const run = await runAsPid1(fixture("reap.ts"), ["noproc"], {
          setup: isolatedRootSetup(root, { proc }),
          chroot: root,
          env: { DENO_DIR: "/tmp/deno" },
        });
        assert.equal(run.code, 0, run.stderr);
        const { warnings, ...result } = run.result!;
        if (proc === "absent") {
          assert.match(String(warnings), /mount proc on \/proc: .*ENOENT/);
        } else assert.deepEqual(warnings, []);
        assert.deepEqual(result, {
          reaped: 100,
          codes: [],
          nodeCodes: [],
          orphanShell: 3,
          slowCode: 7,
          others: [],
          running: 0,
          nobodyLeft: true,
        });
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "killAll: a process ignoring SIGTERM is SIGKILLed after the grace",
  ignore: skip !== null,
  fn: async () => {
    const grace = 800;
    const run = await runAsPid1(fixture("killall.ts"), [
      "stubborn",
      `${grace}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const r = run.result!;
    // SIGKILL came after the whole grace.
    assert.deepEqual(r, {
      trapSet: true,
      graceOver: true,
      signals: ["SIGKILL", "SIGTERM"],
      nobodyLeft: true,
      proc: ["1"],
      // In C nitro's words, " done." on a line of its own as C prints it.
      said: "- nitro: sending SIGTERM to all processes\n" +
        "- nitro: sending SIGKILL to all processes\n" +
        " done.\n",
    });
  },
});

Deno.test({
  name: "killAll returns as soon as everything has gone on SIGTERM",
  ignore: skip !== null,
  fn: async () => {
    const grace = 60_000;
    const run = await runAsPid1(fixture("killall.ts"), ["polite", `${grace}`]);
    assert.equal(run.code, 0, run.stderr);
    const r = run.result!;
    assert.deepEqual(r.signals, ["SIGTERM", "SIGTERM"]);
    assert.deepEqual([r.nobodyLeft, r.proc], [true, ["1"]]);
    assert.equal(r.said, "- nitro: sending SIGTERM to all processes\n done.\n");
    assert.equal(r.graceOver, false, "killAll waited for the grace");
  },
});
