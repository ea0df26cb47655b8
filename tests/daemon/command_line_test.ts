/**
 * nitro's command line: each mistake is one clear line and exit status 2;
 * a user who gives no DIR is told to pass one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCommandLine, USAGE } from "../../src/daemon/command_line.ts";
import { nitroArgs } from "../helpers/nitro.ts";
import { runCommand } from "../helpers/common.ts";
import { TEST_USER, testUser } from "../helpers/test_user.ts";

Deno.test("DIR, no DIR, --help, and -- before a DIR that starts with -", () => {
  assert.deepEqual(parseCommandLine(["/srv/nitro"]), {
    kind: "run",
    dir: "/srv/nitro",
  });
  assert.deepEqual(parseCommandLine([]), { kind: "run", dir: null });
  assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["x", "--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["--", "-odd"]), {
    kind: "run",
    dir: "-odd",
  });
  assert.deepEqual(parseCommandLine(["-"]), { kind: "run", dir: "-" });
});

Deno.test("two DIRs and an unknown option are one line each, with the usage", () => {
  const two = parseCommandLine(["a", "b"]);
  assert.deepEqual(two, {
    kind: "mistake",
    line: `nitro: one DIR at most, not 2: a b; ${USAGE}`,
  });
  const option = parseCommandLine(["--foo"]);
  assert.equal(option.kind, "mistake");
  assert.match(
    option.kind === "mistake" ? option.line : "",
    /^nitro: unknown option --foo \(nitro --help lists what it takes\); usage: nitro \[DIR\]$/,
  );
  // What the terminal would mangle is shown escaped and quoted.
  const odd = parseCommandLine(["a b", "c\rd"]);
  assert.equal(odd.kind === "mistake" ? odd.line.split("\n").length : 0, 1);
  assert.ok(odd.kind === "mistake" && odd.line.includes("'a b' 'c\\rd'"));
});

Deno.test("the real nitro: `nitro a b` and `nitro --foo` print one line, exit 2", async () => {
  for (const args of [["a", "b"], ["--foo"]]) {
    const r = await runCommand(Deno.execPath(), {
      args: nitroArgs(args),
      env: { NO_COLOR: "1" },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^nitro: .*; usage: nitro \[DIR\]$/);
  }
});

const uid = Deno.uid() === 0 ? await testUser() : "needs root";

Deno.test({
  name: "the real nitro without DIR, as a user, hints at passing DIR",
  ignore: typeof uid === "string",
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "nitro-user-" });
    try {
      await Deno.chown(home, uid as number, null);
      const run = (dirArgs: string[]) =>
        runCommand("runuser", {
          args: [
            "-u",
            TEST_USER,
            "--",
            "env",
            `DENO_DIR=${join(home, "deno")}`,
            `HOME=${home}`,
            "NO_COLOR=1",
            // A socket nobody else uses: a failure here must be the DIR's.
            `NITRO_SOCK=${join(home, "missing", "nitro.sock")}`,
            Deno.execPath(),
            ...nitroArgs(dirArgs),
          ],
          killAfterMs: 60_000,
        });
      const bare = await run([]);
      assert.equal(bare.code, 111, bare.stderr);
      assert.match(
        bare.stderr,
        /as a user, name a directory of your own: .*nitro DIR/,
      );
      // Named by the user: their own mistake, no hint.
      const named = await run([join(home, "nowhere")]);
      assert.equal(named.code, 111, named.stderr);
      assert.match(named.stderr, /nowhere: no such directory/);
      assert.doesNotMatch(named.stderr, /as a user/);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
