/**
 * `nitroctl status` blocks: the readiness line only where it applies.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatDetail } from "../../src/ctl/status.ts";
import { detail, status } from "../helpers/fake_daemon.ts";

const readinessLine = (lines: string[]) =>
  lines.find((l) => l.startsWith("  readiness:"));

Deno.test("status: readiness shown for a service that can become UP", () => {
  for (const state of ["STARTING", "UP", "DOWN", "DELAY"] as const) {
    const block = formatDetail(detail(status("web", state, null, 0, 1), {
      readiness: "timer",
      reason: null,
    }));
    assert.equal(
      readinessLine(block),
      "  readiness: UP after 2 s running (no notification-fd)",
      state,
    );
  }
});

Deno.test("status: no readiness line for a FATAL service", () => {
  const block = formatDetail(detail(status("web", "FATAL", null, 0, 9), {
    readiness: 3,
    reason: "run is not executable",
  }));
  assert.equal(readinessLine(block), undefined, block.join("\n"));
  assert.equal(block.at(-1), "  reason:    run is not executable");
});

Deno.test("status: no readiness line for a one-shot (readiness null)", () => {
  const block = formatDetail(detail(status("once", "ONESHOT", null, 0, 4), {
    readiness: null,
    reason: null,
  }));
  assert.equal(readinessLine(block), undefined, block.join("\n"));
  assert.deepEqual(block, [
    "once",
    "  state:     ONESHOT for 4s",
    "  pid:       -",
    "  uptime:    -",
    "  last exit: none yet",
    "  restarts:  0",
    "  logger:    none (nitro's output)",
  ]);
});
