/**
 * pid1.ts in process, where no pid 1 is needed: everything it loads, the
 * FFI module it loads on demand included, is free of `node:` modules
 * (Deno panics loading one before /proc is mounted, and pid 1 starts
 * without /proc). Also tested: tests/init/libc_test.ts (pid1.ts's own
 * imports, refusal outside pid 1), tests/init/pid1_mount_test.ts,
 * pid1_reap_test.ts and pid1_exec_test.ts (as pid 1 of a namespace),
 * tests/e2e/pid1_*_test.ts (nitro as pid 1). Its other logic (reaping,
 * the last sweep, /proc/PID/stat parsing) is private to pid 1 and runs
 * only there.
 *
 * @module
 */

import assert from "node:assert/strict";

/** A module of `deno info --json`: its URL and what it imports. */
interface GraphModule {
  specifier: string;
  dependencies?: { specifier: string; isDynamic?: boolean }[];
}

Deno.test("pid1.ts loads no node: module, through any import, libc.ts's included", async () => {
  const url = new URL("../../src/init/pid1.ts", import.meta.url);
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-config", url.href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules: GraphModule[];
  };
  const files = graph.modules.map((m) => m.specifier);
  // The graph is the whole of it: the on-demand libc.ts is in it.
  assert.ok(files.some((f) => f.endsWith("/src/init/libc.ts")), files.join());
  assert.ok(files.some((f) => f.endsWith("/src/init/console_lines.ts")));
  const nodeImports = graph.modules.flatMap((m) =>
    (m.dependencies ?? [])
      .filter((d) => d.specifier.startsWith("node:"))
      .map((d) => `${m.specifier} imports ${d.specifier}`)
  );
  assert.deepEqual(nodeImports, []);
  assert.deepEqual(files.filter((f) => !f.startsWith("file:")), []);
});
