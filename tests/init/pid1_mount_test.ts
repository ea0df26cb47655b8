/**
 * `enterPid1()` mounts /run (and /dev when /dev/null is missing) — inside a
 * private mount namespace only; the host's mount table stays as it was.
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
import { skipWithoutNamespaces } from "../helpers/common.ts";

const skip = await skipWithoutNamespaces("init/pid1_mount_test");

Deno.test({
  name: "enterPid1 mounts a tmpfs on /run when it is not a mount point",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    // Inside the (private, checked) namespace only: make sure /run is a
    // plain directory whatever the host has there.
    const run = await runAsPid1(fixture("mounts.ts"), [], {
      setup: "while umount -l /run 2>/dev/null; do :; done",
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.result, {
      container: true,
      mounted: ["/run"],
      warnings: [],
      secondMounted: [], // /run is a mount point now
      fstypes: { "/proc": "proc", "/dev": "devtmpfs", "/run": "tmpfs" },
      runMode: "755",
      devNull: true,
      node: "linux",
    });
    assert.equal(hostMounts(), before);
  },
});

Deno.test({
  name: "enterPid1 mounts devtmpfs on /dev when /dev/null is missing",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    // A throwaway tmpfs root whose /dev is an empty directory: unlike
    // `umount -l /dev`, nothing can then land in the host's own /dev dir.
    const root = await Deno.makeTempDir({ prefix: "nitro-init-root-" });
    try {
      const run = await runAsPid1(fixture("mounts.ts"), [], {
        setup: isolatedRootSetup(root),
        chroot: root,
        env: { DENO_DIR: "/tmp/deno" },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.result, {
        container: true,
        mounted: ["/dev", "/run"],
        warnings: [],
        secondMounted: [],
        fstypes: { "/proc": "proc", "/dev": "devtmpfs", "/run": "tmpfs" },
        runMode: "755",
        devNull: true,
        node: "linux",
      });
      assert.equal(hostMounts(), before);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "enterPid1 mounts /proc first, so node: modules can load after it",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const root = await Deno.makeTempDir({ prefix: "nitro-init-root-" });
    try {
      const run = await runAsPid1(fixture("mounts.ts"), [], {
        setup: isolatedRootSetup(root, { proc: "empty" }),
        chroot: root,
        env: { DENO_DIR: "/tmp/deno" },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.result, {
        container: true,
        mounted: ["/proc", "/dev", "/run"],
        warnings: [],
        secondMounted: [],
        fstypes: { "/proc": "proc", "/dev": "devtmpfs", "/run": "tmpfs" },
        runMode: "755",
        devNull: true,
        node: "linux",
      });
      assert.equal(hostMounts(), before);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
