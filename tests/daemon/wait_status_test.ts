/**
 * Tests of src/daemon/wait_status.ts on real children: what
 * `settledStatus` makes of an exit, a death by a named signal and one by a
 * realtime signal Deno has no name for. The pure conversions
 * (`waitStatus`, `waitStatusOfError`) are tested in
 * tests/daemon/spawn_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LOST_STATUS, settledStatus } from "../../src/daemon/wait_status.ts";

/** The raw wait status of `sh -c script`. */
function statusOf(script: string): Promise<number> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return settledStatus(child);
}

Deno.test("settledStatus: an exit is its code << 8", async () => {
  assert.equal(await statusOf("exit 0"), 0);
  assert.equal(await statusOf("exit 3"), 3 << 8);
  assert.equal(await statusOf("exit 255"), 255 << 8);
});

Deno.test("settledStatus: a death by a named signal is its number", async () => {
  assert.equal(await statusOf("kill -KILL $$"), 9);
  assert.equal(await statusOf("kill -TERM $$"), 15);
  // An exit 137 is an exit, not SIGKILL: the two are told apart.
  assert.equal(await statusOf("exit 137"), 137 << 8);
});

Deno.test("settledStatus: a realtime signal Deno cannot name still gives its number", async () => {
  // SIGRTMIN+6 (40 on Linux): Deno's status rejects "Invalid signal: 40".
  const status = await statusOf("kill -s 40 $$");
  assert.equal(status, 40);
  assert.notEqual(status, LOST_STATUS);
});
