/**
 * Looking at nitro's own /proc entries through a short shell script:
 * `probeSelf` hands the script nitro's pid and returns its output (null if
 * it fails), `probeProc` hands it any arguments and returns its output
 * with its exit status, `openFds` counts nitro's open descriptors, not the probe's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RUN_ENV } from "../../ci/permissions.ts";
import { Children } from "../../src/daemon/children.ts";
import { probeProc, probeSelf } from "../../src/daemon/proc_probe.ts";

Deno.test("probeSelf: the script gets this process's pid as $1", async () => {
  const children = new Children();
  assert.equal(await probeSelf('echo "$1"', children), `${Deno.pid}\n`);
  assert.equal(children.size, 0, "the probe was reaped");
});

Deno.test("probeSelf: a failing script gives null, not its partial output", async () => {
  assert.equal(await probeSelf("echo part; exit 3", new Children()), null);
});

Deno.test("probeProc: the script gets the arguments, and its output comes with its status", async () => {
  const children = new Children();
  assert.deepEqual(
    await probeProc('echo "$#:$1:$2"; exit 4', ["a b", "c"], children),
    { text: "2:a b:c\n", wstatus: 4 << 8 },
  );
  assert.equal(children.size, 0, "the probe was reaped");
});

// In a process of its own: under `deno test --parallel` other test modules
// open and close descriptors in this one while it counts.
Deno.test("openFds: counts this process's descriptors, one more per open file", async () => {
  const module = new URL("../../src/daemon/proc_probe.ts", import.meta.url);
  const children = new URL("../../src/daemon/children.ts", import.meta.url);
  const script = `
    const { openFds } = await import(${JSON.stringify(module.href)});
    const { Children } = await import(${JSON.stringify(children.href)});
    const c = new Children();
    // The first child makes Deno open descriptors of its own for waiting
    // on children, perhaps after the probe has listed them: warm up first.
    await openFds(c);
    const before = await openFds(c);
    const file = await Deno.open("/dev/null");
    const during = await openFds(c);
    file.close();
    console.log(JSON.stringify([before, during, await openFds(c)]));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--no-config", script],
    // No update check: its fetch, in the background, would open sockets
    // in the process while it counts.
    env: RUN_ENV,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const [before, during, after] = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  assert.ok(before >= 3, `at least stdio: ${before}`);
  assert.equal(during, before + 1);
  assert.equal(after, before);
});
