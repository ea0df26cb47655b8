/**
 * Memory of nitro's event history (src/daemon/history.ts, with the
 * compact window of src/daemon/event_ring.ts, as nitro uses it): it keeps the
 * first events of the boot and a window of recent ones, and must not grow
 * with uptime. Pushes events like a busy nitro's (300 services restarting)
 * and prints one line: events kept and heap used after 100,000 and after
 * 1,000,000 events.
 *
 * ```sh
 * deno run --v8-flags=--expose-gc tests/bench/history.ts [--json]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { BOOT_HISTORY_SIZE } from "../../src/daemon/history.ts";
import { serviceEventHistory } from "../../src/daemon/event_ring.ts";
import { HISTORY_SIZE } from "../../src/daemon/supervisor.ts";
import { STATES } from "../../src/protocol.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { json: { type: "boolean", default: false } },
});

/** Heap in use after a full collection (when `--expose-gc` allows one). */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Deno.memoryUsage().heapUsed;
}

const names = Array.from({ length: 300 }, (_, i) => `service-${i}`);
const base = heapUsed();
const history = serviceEventHistory(HISTORY_SIZE);
const figures: { events: number; kept: number; heapBytes: number }[] = [];
for (let i = 1; i <= 1_000_000; i++) {
  history.push({
    name: names[i % names.length],
    state: STATES[i % STATES.length],
    pid: 1000 + (i % 30000),
    time: i,
  });
  if (i === 100_000 || i === 1_000_000) {
    figures.push({
      events: i,
      kept: history.size,
      heapBytes: Math.max(0, heapUsed() - base),
    });
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
const [early, late] = figures;
console.log(
  `event history: ${late.kept} events kept (first ${BOOT_HISTORY_SIZE} of ` +
    `the boot + last ${HISTORY_SIZE}), ${mb(early.heapBytes)} MB of heap ` +
    `after ${early.events.toLocaleString("en")} events, ` +
    `${mb(late.heapBytes)} MB after ${late.events.toLocaleString("en")}` +
    ((globalThis as { gc?: unknown }).gc
      ? ""
      : " (run with --v8-flags=--expose-gc for exact figures)"),
);
if (values.json) console.log(JSON.stringify({ history: figures }));
