/**
 * Scripts the kernel cannot exec, with real processes: a `#!/bin/sh\r`
 * line (a file written on Windows) and a `run` that is neither a `#!`
 * script nor a binary. Each is FATAL once, its reason on the console in
 * one line, control characters escaped, never a shell's complaint.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually } from "../helpers/nitro.ts";
import { Program } from "../helpers/side_by_side.ts";

Deno.test("exec errors: CRLF and Exec format error are FATAL once, in nitro's words", async () => {
  const p = await Program.create("ours", {});
  try {
    for (
      const [name, text] of [["crlf", "#!/bin/sh\r\nexit 0\r\n"], [
        "junk",
        "\x01\x02 not a program\n",
      ]]
    ) {
      Deno.mkdirSync(join(p.dir, name));
      Deno.writeTextFileSync(join(p.dir, name, "run"), text);
      Deno.chmodSync(join(p.dir, name, "run"), 0o755);
    }
    await p.start();
    await eventually(
      async () => {
        const list = (await p.ctl(["list"])).stdout;
        return /FATAL crlf/.test(list) && /FATAL junk/.test(list);
      },
      10_000,
      () => `both FATAL:\n${p.console}`,
    );
    await p.terminate();
    const lines = p.console.split("\n");
    assert.deepEqual(lines.filter((l) => /crlf|junk|line 1/.test(l)), [
      "- nitro: crlf: run: interpreter /bin/sh\\r not found " +
      "(CRLF line endings? convert the file with dos2unix)",
      "- nitro: junk: cannot exec run: Exec format error " +
      "(no #! line, not an ELF binary)",
    ]);
    assert.ok(!p.console.includes("\r"));
  } finally {
    await p.cleanup();
  }
});
