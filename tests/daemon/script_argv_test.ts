/**
 * Tests of src/daemon/script_argv.ts: `readHead`, on real files. The pure
 * parts (`parseShebang`, `scriptArgv`) are tested in
 * tests/daemon/spawn_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  parseShebang,
  readHead,
  scriptArgv,
  SHEBANG_LIMIT,
} from "../../src/daemon/script_argv.ts";

function withTemp(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "script_argv_test_" });
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("readHead: the first SHEBANG_LIMIT bytes of a file, or all of a short one", () => {
  withTemp((dir) => {
    const short = join(dir, "run");
    Deno.writeTextFileSync(short, "#!/bin/sh\necho hi\n");
    assert.equal(
      new TextDecoder().decode(readHead(short)!),
      "#!/bin/sh\necho hi\n",
    );
    const long = join(dir, "long");
    const bytes = new Uint8Array(SHEBANG_LIMIT * 3).map((_, i) => i % 251);
    Deno.writeFileSync(long, bytes);
    assert.deepEqual(readHead(long), bytes.subarray(0, SHEBANG_LIMIT));
    const empty = join(dir, "empty");
    Deno.writeFileSync(empty, new Uint8Array());
    assert.deepEqual(readHead(empty), new Uint8Array());
  });
});

Deno.test("readHead: null for what is no readable regular file, and a FIFO is never opened", () => {
  withTemp((dir) => {
    assert.equal(readHead(join(dir, "missing")), null);
    assert.equal(readHead(dir), null, "a directory");
    const fifo = join(dir, "fifo");
    const made = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    assert.ok(made.success);
    // Opening it would block until a writer came: this returns at once.
    assert.equal(readHead(fifo), null);
    // A symlink to a script is followed.
    Deno.writeTextFileSync(join(dir, "real"), "#!/bin/bash\n");
    Deno.symlinkSync(join(dir, "real"), join(dir, "link"));
    assert.deepEqual(parseShebang(readHead(join(dir, "link"))!), ["/bin/bash"]);
  });
});

Deno.test("readHead feeds scriptArgv: a script with a #! line in its service directory", () => {
  withTemp((dir) => {
    const run = join(dir, "run");
    Deno.writeTextFileSync(run, "#! /bin/sh -e\nexit 0\n");
    assert.deepEqual(scriptArgv(run, ["x"], dir, readHead(run)), {
      argv: ["/bin/sh", "-e", "run", "x"],
      argv0: null,
    });
    // Unreadable (gone): exec'd as it is, for exec to report.
    assert.deepEqual(
      scriptArgv(join(dir, "gone"), [], dir, readHead(join(dir, "gone"))),
      {
        argv: ["./gone"],
        argv0: "gone",
      },
    );
  });
});
