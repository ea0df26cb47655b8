/**
 * argv[0] of a service's scripts is the name nitro passes (`setup`, `run`,
 * `finish`), not a path: scripts use `$0`. A `#!` script gets the kernel's
 * argv for `execve("run")` (`/bin/sh run ARGS`), a binary gets `run` too.
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readOr } from "../helpers/daemon.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";

/** A script that appends its `$0` and arguments to ./argv, then `rest`. */
function records(rest = ""): string {
  return `#!/bin/sh\necho "$0 $*" >> argv\n${rest}`;
}

Deno.test("argv0: setup, run and finish see their own names in $0", async () => {
  const n = await Nitro.create({
    SYS: { setup: records() },
    web: {
      setup: records(),
      run: records("exec sleep 1000\n"),
      finish: records(),
    },
    "tmpl@": { run: records("exec sleep 1000\n") },
    "bin@": {},
  });
  Deno.copyFileSync("/bin/sleep", join(n.dir, "bin@", "run"));
  try {
    await n.start();
    let r = await n.ctl(["-t", "10", "start", "tmpl@one", "bin@1000"]);
    strictEqual(r.code, 0, r.stderr);
    r = await n.ctl(["-t", "10", "down", "web"]);
    strictEqual(r.code, 0, r.stderr);
    const argv = (name: string) => readOr(join(n.dir, name, "argv"));
    await eventually(() => argv("web").includes("finish"), 10_000, "finish");
    strictEqual(argv("SYS"), "setup \n");
    strictEqual(argv("web"), "setup \nrun \nfinish -1 15\n");
    strictEqual(argv("tmpl@"), "run one\n");
    const pid = (await n.states())["bin@1000"].pid!;
    const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    deepStrictEqual(cmdline, ["run", "1000", ""]);
  } finally {
    await n.stop();
  }
});
