/**
 * Tests of src/daemon/job_control.ts in a child Deno with its stderr a
 * pipe, no daemon started: the signals nitro catches, and where console
 * lines go when stderr is no terminal. The relay on a real terminal (a
 * background nitro under `script(1)` with TOSTOP set) is tested in
 * tests/e2e/job_control_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";

const MODULE = new URL("../../src/daemon/job_control.ts", import.meta.url).href;
const CHILDREN = new URL("../../src/daemon/children.ts", import.meta.url).href;

/** Run `code` (a module) in a child Deno, stdio piped; its output. */
async function runChild(code: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-config", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(code));
  await writer.close();
  const result = await out.output();
  const dec = new TextDecoder();
  return {
    code: result.code,
    stdout: dec.decode(result.stdout),
    stderr: dec.decode(result.stderr),
  };
}

Deno.test("ignoreJobControlStops: SIGTTOU and SIGTTIN are caught (not ignored, so exec resets them)", async () => {
  const r = await runChild(`
    import { ignoreJobControlStops } from ${JSON.stringify(MODULE)};
    /** Bits 21 (SIGTTIN) and 22 (SIGTTOU) of a mask of /proc/self/status. */
    const bits = (key) => {
      const status = Deno.readTextFileSync("/proc/self/status");
      const mask = BigInt("0x" + new RegExp("^" + key + ":\\\\s*(\\\\w+)", "m").exec(status)[1]);
      return [21n, 22n].map((n) => (mask >> (n - 1n)) & 1n).join("");
    };
    console.log("before", bits("SigCgt"), bits("SigIgn"));
    ignoreJobControlStops();
    console.log("after", bits("SigCgt"), bits("SigIgn"));
    // Sent to itself: caught, so the process goes on.
    Deno.kill(Deno.pid, "SIGTTOU");
    Deno.kill(Deno.pid, "SIGTTIN");
    console.log("alive");
    Deno.exit(0);
  `);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "before 00 00\nafter 11 00\nalive\n");
  assert.equal(r.code, 0);
});

Deno.test("consoleSink: with stderr not a terminal, lines go straight to it, no relay started", async () => {
  const r = await runChild(`
    import { consoleSink } from ${JSON.stringify(MODULE)};
    import { Children } from ${JSON.stringify(CHILDREN)};
    const direct = {
      write: (bytes) => Deno.stderr.write(bytes),
    };
    const children = new Children();
    const sink = await consoleSink(direct, children);
    console.log(sink === direct, children.size);
    await sink.write(new TextEncoder().encode("a line\\n"));
  `);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "true 0\n", "a line\n"]);
});
