/**
 * The event history (src/daemon/history.ts), boot part + recent window,
 * and its ring of events (src/daemon/event_ring.ts). Events are numbered
 * by their pid.
 */

import assert from "node:assert/strict";
import { BOOT_HISTORY_SIZE, EventHistory } from "../../src/daemon/history.ts";
import { ServiceEventRing } from "../../src/daemon/event_ring.ts";
import type { ServiceEvent } from "../../src/protocol.ts";

/** Event number `i`. */
const ev = (i: number): ServiceEvent => ({
  name: "s",
  state: "UP",
  pid: i,
  time: i,
});

/** A history of numbered events, as nitro keeps it. */
function history(recent: number, boot?: number) {
  const h = new EventHistory<ServiceEvent>(new ServiceEventRing(recent), boot);
  return {
    push: (i: number) => h.push(ev(i)),
    toArray: () => h.toArray().map((e) => e.pid),
    get size() {
      return h.size;
    },
    startBoot: () => h.startBoot(),
  };
}

/** A ring of numbered events. */
function ring(capacity: number) {
  const r = new ServiceEventRing(capacity);
  return {
    push: (i: number) => r.push(ev(i)),
    toArray: () => r.toArray().map((e) => e.pid),
    get size() {
      return r.size;
    },
    capacity: r.capacity,
    clear: () => r.clear(),
  };
}

/** Numbers from..to, inclusive. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("ring keeps the last items, oldest first", () => {
  const r = ring(3);
  assert.deepEqual(r.toArray(), []);
  for (const i of range(1, 5)) r.push(i);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.deepEqual(r.size, 3);
  r.clear();
  assert.deepEqual(r.toArray(), []);
});

Deno.test("history: everything while both parts have room, once", () => {
  const h = history(10, 4);
  for (const i of range(1, 8)) h.push(i);
  assert.deepEqual(h.toArray(), range(1, 8));
  assert.deepEqual(h.size, 8);
});

Deno.test("history: the boot part survives the recent window rolling", () => {
  const h = history(3, 4);
  for (const i of range(1, 100)) h.push(i);
  assert.deepEqual(h.toArray(), [1, 2, 3, 4, 98, 99, 100]);
  assert.deepEqual(h.size, 7);
});

Deno.test("history: boot and recent parts that touch or overlap", () => {
  const h = history(3, 4);
  for (const i of range(1, 6)) h.push(i); // boot 1-4, recent 4-6
  assert.deepEqual(h.toArray(), range(1, 6));
  h.push(7); // recent 5-7: adjacent to boot
  assert.deepEqual(h.toArray(), range(1, 7));
  h.push(8); // recent 6-8: 5 is forgotten
  assert.deepEqual(h.toArray(), [1, 2, 3, 4, 6, 7, 8]);
  assert.deepEqual(h.size, 7);
});

Deno.test("history: startBoot starts a new boot part, old boot rolls off", () => {
  const h = history(3, 4);
  for (const i of range(1, 20)) h.push(i);
  h.startBoot();
  // Nothing since the reboot: the last events of the old boot, in order.
  assert.deepEqual(h.toArray(), [18, 19, 20]);
  h.push(21);
  h.push(22);
  // Recent 20-22 overlaps the new boot part 21-22.
  assert.deepEqual(h.toArray(), [20, 21, 22]);
  assert.deepEqual(h.size, 3);
  for (const i of range(23, 40)) h.push(i);
  assert.deepEqual(h.toArray(), [21, 22, 23, 24, 38, 39, 40]);
  assert.deepEqual(h.size, 7);
});

Deno.test("history: a reboot with recent events of the old boot before it", () => {
  const h = history(5, 2);
  for (const i of range(1, 10)) h.push(i);
  h.startBoot();
  h.push(11);
  // Recent 7-11: 7-10 from before the boot come first.
  assert.deepEqual(h.toArray(), [7, 8, 9, 10, 11]);
  assert.deepEqual(h.size, 5);
});

Deno.test("history: memory stays bounded after many events", () => {
  const h = history(1000);
  for (let i = 0; i < 100_000; i++) h.push(i);
  const all = h.toArray();
  assert.deepEqual(all.length, BOOT_HISTORY_SIZE + 1000);
  assert.deepEqual(h.size, all.length);
  assert.deepEqual(all.slice(0, 3), [0, 1, 2]);
  assert.deepEqual(all.at(-1), 99_999);
  // Strictly increasing: chronological, no duplicates.
  assert.deepEqual(all.every((x, i) => i === 0 || x! > all[i - 1]!), true);
});

Deno.test("history: zero-sized parts keep nothing of their own", () => {
  const h = history(0, 0);
  h.push(1);
  assert.deepEqual(h.toArray(), []);
  assert.deepEqual(h.size, 0);
  const boot = history(0, 2);
  for (const i of range(1, 5)) boot.push(i);
  assert.deepEqual(boot.toArray(), [1, 2]);
});

Deno.test("ring keeps items in order below capacity", () => {
  const r = ring(5);
  assert.equal(r.size, 0);
  assert.deepEqual(r.toArray(), []);
  r.push(1);
  r.push(2);
  r.push(3);
  assert.equal(r.size, 3);
  assert.deepEqual(r.toArray(), [1, 2, 3]);
});

Deno.test("ring is bounded at capacity, keeping the newest, oldest first", () => {
  const r = ring(3);
  for (let i = 1; i <= 3; i++) r.push(i);
  assert.deepEqual(r.toArray(), [1, 2, 3]);
  r.push(4);
  assert.deepEqual(r.toArray(), [2, 3, 4]);
  r.push(5);
  r.push(6);
  assert.deepEqual(r.toArray(), [4, 5, 6], "wrapped exactly once");
  r.push(7);
  assert.deepEqual(r.toArray(), [5, 6, 7]);
  assert.equal(r.size, 3);
  assert.equal(r.capacity, 3);
});

Deno.test("ring never grows however many pushes", () => {
  const r = ring(1000);
  for (let i = 0; i < 100_000; i++) r.push(i);
  assert.equal(r.size, 1000);
  const items = r.toArray();
  assert.equal(items.length, 1000);
  assert.equal(items[0], 99_000);
  assert.equal(items[999], 99_999);
  for (let i = 1; i < items.length; i++) {
    assert.equal(items[i], items[i - 1]! + 1);
  }
});

Deno.test("ring of capacity 1 holds the last item", () => {
  const r = ring(1);
  r.push(1);
  r.push(2);
  assert.deepEqual(r.toArray(), [2]);
});

Deno.test("ring.toArray is a copy", () => {
  const r = ring(2);
  r.push(1);
  const a = r.toArray();
  a.push(99);
  assert.deepEqual(r.toArray(), [1]);
});
