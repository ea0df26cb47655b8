/**
 * What `-t` cut short: appended to C nitroctl's `action timed out`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describePending } from "../../src/ctl/pending.ts";
import { detail, status } from "../helpers/fake_daemon.ts";

Deno.test("describePending: state, then the reason or last exit, and restarts", () => {
  assert.equal(
    describePending(
      detail(status("crashy", "DELAY", null, 256), { restarts: 3 }),
    ),
    "crashy is DELAY after exit 1 (3 restarts)",
  );
  assert.equal(
    describePending(detail(status("slow", "STARTING", 4))),
    "slow is STARTING",
  );
  assert.equal(
    describePending(
      detail(status("f", "FATAL", null, -1), {
        reason: "setup exited 111",
        restarts: 1,
      }),
    ),
    "f is FATAL: setup exited 111 (1 restart)",
  );
});
