/**
 * Tests of src/daemon/children.ts: nitro's own children are known as such
 * exactly until Deno has reaped them, on real processes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Children } from "../../src/daemon/children.ts";

function spawn(script: string): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Let a child of {@link spawn} go on: a line on its stdin, then EOF. */
async function release(child: Deno.ChildProcess): Promise<void> {
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("\n"));
  await writer.close();
}

Deno.test("track: a child is ours until reaped, then forgotten; resolves with its wait status", async () => {
  const children = new Children();
  // Each waits for a line on stdin, so both are alive while we look.
  const a = spawn("read _; exit 4");
  const b = spawn("read _; kill -TERM $$");
  const statusA = children.track(a);
  const statusB = children.track(b);
  assert.ok(children.has(a.pid) && children.has(b.pid));
  assert.equal(children.size, 2);
  assert.equal(children.has(Deno.pid), false);

  await release(a);
  assert.equal(await statusA, 4 << 8);
  assert.equal(children.has(a.pid), false);
  assert.ok(children.has(b.pid), "the other one is still ours");
  assert.equal(children.size, 1);

  await release(b);
  assert.equal(await statusB, 15);
  assert.equal(children.size, 0);
});

Deno.test("add and delete: by pid, for children tracked elsewhere", () => {
  const children = new Children();
  children.add(41);
  children.add(42);
  children.add(42);
  assert.equal(children.size, 2);
  children.delete(41);
  children.delete(99); // Unknown: nothing happens.
  assert.deepEqual([children.has(41), children.has(42)], [false, true]);
  assert.equal(children.size, 1);
});
