/**
 * Wait statuses for people (src/core/exit_status.ts): exits, every Linux
 * signal by name (none reported as "exited 0"), realtime signals, cores.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describeExit, signalName } from "../../src/core/exit_status.ts";

Deno.test("exits", () => {
  assert.equal(describeExit(0), "exited 0");
  assert.equal(describeExit(3 << 8), "exited 3");
  assert.equal(describeExit(111 << 8), "exited 111");
  assert.equal(describeExit(255 << 8), "exited 255");
});

Deno.test("deaths by signals, all of them", () => {
  assert.equal(describeExit(15), "killed by SIGTERM");
  assert.equal(describeExit(9), "killed by SIGKILL");
  assert.equal(describeExit(31), "killed by SIGSYS");
  assert.equal(describeExit(24), "killed by SIGXCPU");
  assert.equal(describeExit(0x80 | 6), "killed by SIGABRT (core dumped)");
  assert.equal(describeExit(34), "killed by SIGRTMIN");
  assert.equal(describeExit(36), "killed by SIGRTMIN+2");
  assert.equal(describeExit(64), "killed by SIGRTMIN+30");
  for (let n = 1; n <= 64; n++) {
    const text = describeExit(n);
    assert.match(text, /^killed by (SIG[A-Z0-9+]+|signal \d+)$/, `${n}`);
    assert.notEqual(text, "exited 0");
  }
  assert.equal(signalName(32), "signal 32");
  assert.equal(signalName(33), "signal 33");
});
