/**
 * Deno started as pid 1 with odd stdio, and what `stdioStatus()` makes of
 * it. Each case runs as pid 1 of a fresh PID + mount namespace.
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
import { fdKind, stdioStatus } from "../../src/init/stdio.ts";

const skip = await skipWithoutNamespaces("init/stdio_test");

/** Run the stdio fixture as pid 1 and read what it wrote. */
async function probe(redirect: string, wrapper?: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "nitro-init-stdio-" });
  try {
    const out = `${dir}/out.json`;
    const run = await runAsPid1(fixture("stdio.ts"), [out], {
      redirect: redirect.replaceAll("DIR", dir),
      wrapper,
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(await Deno.readTextFile(out));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stdioStatus: this test's own stdio is usable", () => {
  assert.deepEqual(stdioStatus(), { stdin: true, stdout: true, stderr: true });
  assert.ok(["char", "tty", "file", "pipe", "socket"].includes(fdKind(1)));
});

Deno.test({
  name: "started with fds 0-2 closed, Deno has them on /dev/null (usable)",
  ignore: skip !== null,
  fn: async () => {
    const r = await probe("0<&- 1>&- 2>&-");
    assert.deepEqual(r, {
      pid: 1,
      status: { stdin: true, stdout: true, stderr: true },
      kinds: ["char", "char", "char"],
      devNull: [true, true, true],
    });
  },
});

Deno.test({
  name: "a directory as stdout is reported unusable",
  ignore: skip !== null,
  fn: async () => {
    const r = await probe("1<DIR");
    assert.deepEqual(r.status, { stdin: true, stdout: false, stderr: true });
    assert.equal(r.kinds[1], "directory");
  },
});

const python = await new Deno.Command("python3", { args: ["-c", ""] })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "an anon-inode (epoll) fd as stdout/stderr is reported unusable",
  ignore: skip !== null || !python,
  fn: async () => {
    // python3 puts an epoll fd on 1 and 2, then execs Deno (still pid 1).
    const code = "import os, select, sys\n" +
      "e = select.epoll()\n" +
      "os.dup2(e.fileno(), 1); os.dup2(e.fileno(), 2)\n" +
      "os.execv(sys.argv[1], sys.argv[1:])";
    const r = await probe("", ["python3", "-c", code]);
    assert.deepEqual(r.status, { stdin: true, stdout: false, stderr: false });
    assert.deepEqual(r.kinds.slice(1), ["internal", "internal"]);
  },
});

Deno.test({
  name: "fds 0-2 closed and no /dev/null: Deno aborts before any JS runs",
  ignore: skip !== null,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "nitro-init-root-" });
    try {
      const run = await runAsPid1(fixture("stdio.ts"), ["/tmp/out.json"], {
        setup: isolatedRootSetup(root),
        chroot: root,
        env: { DENO_DIR: "/tmp/deno" },
        redirect: "0<&- 1>&- 2>&-",
        cwd: root,
      });
      // abort(): SIGABRT — but pid 1 ignores a self-sent SIGABRT, so glibc
      // escalates to a fault and it ends by SIGSEGV.
      assert.deepEqual([run.signal, run.code], ["SIGSEGV", 139]);
      assert.equal(run.stdout + run.stderr, "");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
