/**
 * Looking at nitro's own /proc entries through a short shell script:
 * `probeSelf` hands the script nitro's pid and returns its output (null if
 * it fails), `openFds` counts nitro's open descriptors, not the probe's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Children } from "../../src/daemon/children.ts";
import { openFds, probeSelf } from "../../src/daemon/proc_probe.ts";

Deno.test("probeSelf: the script gets this process's pid as $1", async () => {
  const children = new Children();
  assert.equal(await probeSelf('echo "$1"', children), `${Deno.pid}\n`);
  assert.equal(children.size, 0, "the probe was reaped");
});

Deno.test("probeSelf: a failing script gives null, not its partial output", async () => {
  assert.equal(await probeSelf("echo part; exit 3", new Children()), null);
});

Deno.test("openFds: counts this process's descriptors, one more per open file", async () => {
  const children = new Children();
  const before = await openFds(children);
  assert.ok(before >= 3, `at least stdio: ${before}`);
  const file = await Deno.open("/dev/null");
  try {
    assert.equal(await openFds(children), before + 1);
  } finally {
    file.close();
  }
  assert.equal(await openFds(children), before);
});
