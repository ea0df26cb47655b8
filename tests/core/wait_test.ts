/**
 * The wait judgement (src/core/wait.ts) on every state × target × wantUp.
 *
 * @module
 */

import assert from "node:assert/strict";
import { judge, type Verdict } from "../../src/core/wait.ts";
import {
  type State,
  STATES,
  WAIT_TARGETS,
  type WaitTarget,
} from "../../src/protocol.ts";

/**
 * The expected verdict, written as a table: per target, the states that
 * reach it, the ones that fail it, and the ones that fail it only when
 * nobody wants the service up. Everything else is pending.
 */
const TABLE: Record<
  WaitTarget,
  { ok: State[]; fail: State[]; failUnwanted: State[] }
> = {
  up: { ok: ["UP", "ONESHOT"], fail: ["FATAL"], failUnwanted: ["DOWN"] },
  starting: {
    ok: ["STARTING", "UP", "ONESHOT"],
    fail: ["FATAL"],
    failUnwanted: ["DOWN"],
  },
  down: { ok: ["DOWN", "FATAL"], fail: [], failUnwanted: [] },
  shutdown: { ok: ["SHUTDOWN", "DOWN", "FATAL"], fail: [], failUnwanted: [] },
  restart: {
    ok: ["SETUP", "STARTING", "UP", "ONESHOT", "SHUTDOWN", "RESTART", "DELAY"],
    fail: ["FATAL"],
    failUnwanted: [],
  },
};

Deno.test("judge: every state × target × wantUp", () => {
  let cases = 0;
  for (const target of WAIT_TARGETS) {
    const row = TABLE[target];
    for (const state of STATES) {
      for (const wantUp of [true, false]) {
        const expected: Verdict = row.ok.includes(state)
          ? "ok"
          : row.fail.includes(state) ||
              (!wantUp && row.failUnwanted.includes(state))
          ? "fail"
          : "pending";
        assert.equal(
          judge(state, wantUp, target),
          expected,
          `${state} wantUp=${wantUp} target=${target}`,
        );
        cases++;
      }
    }
  }
  assert.equal(cases, 5 * 9 * 2);
});

Deno.test("judge: DOWN passing between two runs keeps a start waiting", () => {
  // RESTART → DOWN → STARTING → UP: the DOWN instant is not a failure.
  const seen = ["RESTART", "DOWN", "STARTING", "UP"] as State[];
  const verdicts = seen.map((s) => judge(s, true, "up"));
  assert.deepEqual(verdicts, ["pending", "pending", "pending", "ok"]);
  // Taken down by someone else meanwhile: the start fails.
  assert.equal(judge("DOWN", false, "up"), "fail");
});
