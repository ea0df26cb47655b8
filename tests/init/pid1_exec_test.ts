/**
 * `reincarnate()` and `finish()` as pid 1 of a fresh PID + mount namespace.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fixture, hostMounts, runAsPid1 } from "../init_fixtures/harness.ts";
import { skipWithoutNamespaces } from "../helpers/common.ts";

const skip = await skipWithoutNamespaces("init/pid1_exec_test");

Deno.test({
  name: "reincarnate execs as pid 1 with our environment and children",
  ignore: skip !== null,
  fn: async () => {
    const run = await runAsPid1(fixture("exec.ts"), ["reincarnate"], {
      env: { NITRO_TEST_VAR: "kept" },
    });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^failed: execve \/nonexistent\/init: ENOENT/m);
    const r = run.result!;
    assert.deepEqual({ ...r, sigIgn: 0 }, {
      pid: 1,
      var: "kept",
      args: "a b|c",
      sigIgn: 0,
      sleeperParent: 1, // a child of nitro is a child of its successor
    });
    // SIGPIPE (bit 13) is not passed on ignored.
    assert.equal(BigInt(`0x${r.sigIgn}`) & 0x1000n, 0n, `SigIgn ${r.sigIgn}`);
  },
});

Deno.test({
  name: "finish refuses in a container; MS_REMOUNT|MS_RDONLY works on a tmpfs",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const dir = await Deno.makeTempDir({ prefix: "nitro-init-ro-" });
    try {
      const run = await runAsPid1(fixture("exec.ts"), ["finish", dir]);
      assert.equal(run.code, 0, run.stderr);
      const r = run.result!;
      assert.match(r.refused as string, /not a machine's init/);
      assert.match(r.write as string, /read-only/i);
      assert.equal(r.before, "ok");
      // The tmpfs lived in the namespace only.
      assert.deepEqual([...Deno.readDirSync(dir)], []);
      assert.equal(hostMounts(), before);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
