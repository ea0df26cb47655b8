/**
 * nitro as pid 1 without CAP_SYS_ADMIN (as in a container): the tmpfs on
 * `/run` cannot be mounted. Where `/run` is writable as it is, nothing is
 * said; where it is not, one warning says what to do. Run in a throwaway
 * root inside a private mount namespace, with CAP_SYS_ADMIN dropped from
 * the bounding set by `setpriv`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fixture,
  hostMounts,
  isolatedRootSetup,
  runAsPid1,
} from "../init_fixtures/harness.ts";
import { shq, skipWithoutNamespaces } from "../helpers/common.ts";

/** Why the capability cannot be dropped here, or null. */
async function noSetpriv(): Promise<string | null> {
  try {
    const out = await new Deno.Command("setpriv", { args: ["--version"] })
      .output();
    return out.success ? null : "setpriv --version fails";
  } catch {
    return "no setpriv (util-linux)";
  }
}

const noCap = await noSetpriv();
if (noCap !== null) console.warn(`run_mount_test: skipped: ${noCap}`);
const skip = await skipWithoutNamespaces("run_mount_test") ?? noCap;

/** In front of deno: the fixture runs without CAP_SYS_ADMIN. */
const NO_SYS_ADMIN = ["setpriv", "--bounding-set", "-sys_admin"];

/** Run mounts.ts as pid 1 in a fresh root; `extra` prepares it further. */
async function withoutSysAdmin(extra: (root: string) => string) {
  const root = await Deno.makeTempDir({ prefix: "nitro-run-mount-" });
  try {
    const r = shq(root);
    return await runAsPid1(fixture("mounts.ts"), [], {
      setup: [
        isolatedRootSetup(root),
        // /dev/null as a container has it, so that /dev is left alone.
        `touch ${r}/dev/null && mount --bind /dev/null ${r}/dev/null`,
        extra(r),
      ].join("\n"),
      chroot: root,
      wrapper: NO_SYS_ADMIN,
      env: { DENO_DIR: "/tmp/deno" },
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test({
  name:
    "pid 1 without CAP_SYS_ADMIN: a writable /run is used as it is, silently",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const run = await withoutSysAdmin(() => ":");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.result?.mounted, []);
    assert.deepEqual(run.result?.warnings, []);
    assert.equal(run.result?.devNull, true);
    assert.equal(hostMounts(), before);
  },
});

Deno.test({
  name:
    "pid 1 without CAP_SYS_ADMIN: a read-only /run gets one warning saying what to do",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    // A read-only bind of /run onto itself: the same file system, so not
    // seen as a mount point, and not writable.
    const run = await withoutSysAdmin((r) =>
      `mount --bind ${r}/run ${r}/run && mount -o remount,bind,ro ${r}/run`
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.result?.mounted, []);
    const warnings = run.result?.warnings as string[];
    assert.equal(warnings.length, 1, String(warnings));
    assert.match(
      warnings[0],
      /^mount tmpfs on \/run: .*EPERM.*; \/run is not writable either: run the container with --tmpfs \/run, or give its image a writable \/run$/,
    );
    assert.equal(hostMounts(), before);
  },
});
