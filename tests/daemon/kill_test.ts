/**
 * `kill`: true when the signal was sent, false when the target is gone or
 * not ours to signal; other errors are nitro's own bug and propagate.
 *
 * @module
 */

import assert from "node:assert/strict";
import { kill } from "../../src/daemon/kill.ts";

Deno.test("kill: a live process is signalled (true), a reaped one is not (false)", async () => {
  const child = new Deno.Command("sleep", { args: ["100"] }).spawn();
  assert.equal(kill(child.pid, "SIGTERM"), true);
  const status = await child.status;
  assert.equal(status.signal, "SIGTERM");
  assert.equal(kill(child.pid, "SIGTERM"), false);
});

Deno.test("kill: a process group by negative pid", async () => {
  // setsid execs sh (it is not a group leader): sh's pid is the group's.
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", "echo ready; sleep 100 & wait"],
    stdout: "piped",
  }).spawn();
  try {
    // sh prints only once setsid made the group: a gate, not a delay.
    const reader = child.stdout.getReader();
    assert.equal(
      new TextDecoder().decode((await reader.read()).value),
      "ready\n",
    );
    reader.releaseLock();
    await child.stdout.cancel();
    assert.equal(kill(-child.pid, "SIGKILL"), true);
    assert.equal((await child.status).signal, "SIGKILL");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});

Deno.test("kill: errors other than gone or not permitted propagate", () => {
  assert.throws(() => kill(Deno.pid, "SIGNOPE" as Deno.Signal), TypeError);
});
