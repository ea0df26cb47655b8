/**
 * Tests of src/core/service.ts: the data of the pure core. How services
 * move is tested in tests/core/machine_test.ts; here, what a new service
 * and default facts are, and that they are made fresh each time.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  defaultFacts,
  DELAY_MS,
  impossible,
  KILL_AFTER_MS,
  MANUAL_READINESS,
  newService,
  TIMER_READINESS,
  UP_AFTER_MS,
} from "../../src/core/service.ts";

Deno.test("newService: DOWN since now, not wanted, nothing running, no exit yet", () => {
  const facts = defaultFacts();
  const s = newService("web@x", "x", facts, 1234);
  assert.deepEqual(s, {
    name: "web@x",
    param: "x",
    state: "DOWN",
    since: 1234,
    running: null,
    wantUp: false,
    requested: false,
    runStarted: 1234,
    crashedEarly: false,
    wstatus: 0,
    exited: false,
    restarts: 0,
    reason: null,
    draining: false,
    deadline: null,
    facts,
  });
  assert.equal(s.facts, facts); // Kept, not copied.
});

Deno.test("defaultFacts: a run, no options; a fresh object each time", () => {
  const a = defaultFacts();
  assert.deepEqual(a, {
    unreadable: null,
    hasSetup: false,
    hasRun: true,
    hasFinish: false,
    down: false,
    downSignal: "SIGTERM",
    readiness: { kind: "timer" },
  });
  a.down = true;
  a.downSignal = "SIGHUP";
  assert.equal(defaultFacts().down, false);
  assert.equal(defaultFacts().downSignal, "SIGTERM");
  assert.equal(defaultFacts().readiness, TIMER_READINESS);
});

Deno.test("the shared readiness values cannot be changed by one service", () => {
  assert.ok(Object.isFrozen(TIMER_READINESS));
  assert.ok(Object.isFrozen(MANUAL_READINESS));
  assert.throws(() => {
    (TIMER_READINESS as { kind: string }).kind = "manual";
  }, TypeError);
  assert.equal(MANUAL_READINESS.kind, "manual");
});

Deno.test("the core's times are C nitro's: UP after 2 s, DELAY 2 s, SIGKILL after 7 s", () => {
  assert.deepEqual([UP_AFTER_MS, DELAY_MS, KILL_AFTER_MS], [2000, 2000, 7000]);
});

Deno.test("impossible: throws, naming what and the value", () => {
  assert.throws(
    () => impossible("input", { type: "bogus" } as never),
    { message: 'impossible input: {"type":"bogus"}' },
  );
});
