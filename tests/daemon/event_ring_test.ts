/**
 * Tests of src/daemon/event_ring.ts: nitro's event history as
 * `serviceEventHistory` builds it, and what a ring gives back field by
 * field. The ring against a plain array over thousands of pushes is tested
 * in tests/daemon/entry_cache_test.ts, the history's boot and recent parts
 * in tests/daemon/history_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  serviceEventHistory,
  ServiceEventRing,
} from "../../src/daemon/event_ring.ts";
import { BOOT_HISTORY_SIZE } from "../../src/daemon/history.ts";
import { type ServiceEvent, STATES } from "../../src/protocol.ts";

const ev = (i: number): ServiceEvent => ({
  name: `s${i}`,
  state: STATES[i % STATES.length],
  notice: i % 3 === 0 ? null : STATES[i % STATES.length],
  pid: i + 1,
  time: i,
});

Deno.test("serviceEventHistory: the boot's first BOOT_HISTORY_SIZE events and the last N, each once", () => {
  const h = serviceEventHistory(3);
  const total = BOOT_HISTORY_SIZE + 10;
  for (let i = 0; i < total; i++) h.push(ev(i));
  const times = h.toArray().map((e) => e.time);
  const boot = Array.from({ length: BOOT_HISTORY_SIZE }, (_, i) => i);
  assert.deepEqual(times, [...boot, total - 3, total - 2, total - 1]);
  assert.equal(h.size, BOOT_HISTORY_SIZE + 3);
  assert.deepEqual(h.toArray().at(-1), ev(total - 1));
});

Deno.test("ServiceEventRing: every field comes back as pushed: each state, pid or none, fractional times", () => {
  const ring = new ServiceEventRing(STATES.length + 1);
  const pushed: ServiceEvent[] = STATES.map((state, i) => ({
    name: `svc/${i}@x`,
    state,
    // Announced or silent; a notice may name another state than the event's.
    notice: i % 3 === 0 ? null : STATES[(i + 1) % STATES.length],
    pid: i % 2 === 0 ? null : 2_000_000_000 + i,
    time: i + 0.25,
  }));
  pushed.push({ name: "", state: "DOWN", notice: "DOWN", pid: null, time: 0 });
  for (const e of pushed) ring.push(e);
  assert.deepEqual(ring.toArray(), pushed);
  // New objects: changing one does not change the ring.
  ring.toArray()[0].name = "changed";
  assert.equal(ring.toArray()[0].name, "svc/0@x");
});

Deno.test("ServiceEventRing: clear forgets, and the ring fills again from the start", () => {
  const ring = new ServiceEventRing(2);
  for (let i = 0; i < 5; i++) ring.push(ev(i));
  ring.clear();
  assert.deepEqual([ring.size, ring.toArray()], [0, []]);
  ring.push(ev(7));
  assert.deepEqual(ring.toArray(), [ev(7)]);
  ring.push(ev(8));
  ring.push(ev(9));
  assert.deepEqual(ring.toArray(), [ev(8), ev(9)]);
});

Deno.test("ServiceEventRing: a capacity of 0 or less keeps nothing", () => {
  for (const capacity of [0, -3]) {
    const ring = new ServiceEventRing(capacity);
    ring.push(ev(1));
    assert.deepEqual([ring.size, ring.toArray()], [0, []]);
  }
});

Deno.test("ServiceEventRing: an event pushed without a notice comes back announcing its state", () => {
  const ring = new ServiceEventRing(2);
  ring.push({ name: "a", state: "UP", pid: 3, time: 1 });
  assert.deepEqual(ring.toArray(), [
    { name: "a", state: "UP", notice: "UP", pid: 3, time: 1 },
  ]);
});
