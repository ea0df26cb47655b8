/** Unit tests of the event history (src/daemon/history.ts): boot part + recent window. */

import assert from "node:assert/strict";
import {
  BOOT_HISTORY_SIZE,
  EventHistory,
  Ring,
} from "../src/daemon/history.ts";

/** Numbers from..to, inclusive. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("ring keeps the last items, oldest first", () => {
  const r = new Ring<number>(3);
  assert.deepEqual(r.toArray(), []);
  for (const i of range(1, 5)) r.push(i);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.deepEqual(r.size, 3);
  r.clear();
  assert.deepEqual(r.toArray(), []);
});

Deno.test("history: everything while both parts have room, once", () => {
  const h = new EventHistory<number>(10, 4);
  for (const i of range(1, 8)) h.push(i);
  assert.deepEqual(h.toArray(), range(1, 8));
  assert.deepEqual(h.size, 8);
});

Deno.test("history: the boot part survives the recent window rolling", () => {
  const h = new EventHistory<number>(3, 4);
  for (const i of range(1, 100)) h.push(i);
  assert.deepEqual(h.toArray(), [1, 2, 3, 4, 98, 99, 100]);
  assert.deepEqual(h.size, 7);
});

Deno.test("history: boot and recent parts that touch or overlap", () => {
  const h = new EventHistory<number>(3, 4);
  for (const i of range(1, 6)) h.push(i); // boot 1-4, recent 4-6
  assert.deepEqual(h.toArray(), range(1, 6));
  h.push(7); // recent 5-7: adjacent to boot
  assert.deepEqual(h.toArray(), range(1, 7));
  h.push(8); // recent 6-8: 5 is forgotten
  assert.deepEqual(h.toArray(), [1, 2, 3, 4, 6, 7, 8]);
  assert.deepEqual(h.size, 7);
});

Deno.test("history: startBoot starts a new boot part, old boot rolls off", () => {
  const h = new EventHistory<number>(3, 4);
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
  const h = new EventHistory<number>(5, 2);
  for (const i of range(1, 10)) h.push(i);
  h.startBoot();
  h.push(11);
  // Recent 7-11: 7-10 from before the boot come first.
  assert.deepEqual(h.toArray(), [7, 8, 9, 10, 11]);
  assert.deepEqual(h.size, 5);
});

Deno.test("history: memory stays bounded after many events", () => {
  const h = new EventHistory<number>(1000);
  for (let i = 0; i < 100_000; i++) h.push(i);
  const all = h.toArray();
  assert.deepEqual(all.length, BOOT_HISTORY_SIZE + 1000);
  assert.deepEqual(h.size, all.length);
  assert.deepEqual(all.slice(0, 3), [0, 1, 2]);
  assert.deepEqual(all.at(-1), 99_999);
  // Strictly increasing: chronological, no duplicates.
  assert.deepEqual(all.every((x, i) => i === 0 || x > all[i - 1]), true);
});

Deno.test("history: zero-sized parts keep nothing of their own", () => {
  const h = new EventHistory<number>(0, 0);
  h.push(1);
  assert.deepEqual(h.toArray(), []);
  assert.deepEqual(h.size, 0);
  const boot = new EventHistory<number>(0, 2);
  for (const i of range(1, 5)) boot.push(i);
  assert.deepEqual(boot.toArray(), [1, 2]);
});
