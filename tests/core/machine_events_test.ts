/**
 * The events of the pure service machine: every state passed
 * through, in order, each placed after the effects that give it its pid;
 * requests that change nothing still answer with the current state; the
 * counters and reasons `nitroctl status` shows; impossible pairs are loud.
 *
 * @module
 */

import assert from "node:assert/strict";
import { step, type StepResult } from "../../src/core/machine.ts";
import {
  defaultFacts,
  type Input,
  KILL_AFTER_MS,
  newService,
  type Service,
  type ServiceFacts,
  UP_AFTER_MS,
} from "../../src/core/service.ts";
import { exitedStatus, signaledStatus } from "../../src/core/exit_status.ts";

const GONE = "service directory is gone";

/** Feed inputs in order; returns the states of every event, per step. */
function run(
  facts: Partial<ServiceFacts>,
  inputs: [Input, number][],
  param: string | null = null,
): { s: Service; steps: StepResult[] } {
  let s = newService("web", param, { ...defaultFacts(), ...facts }, 0);
  const steps: StepResult[] = [];
  for (const [input, now] of inputs) {
    const r = step(s, input, now);
    s = r.service;
    steps.push(r);
  }
  return { s, steps };
}

const states = (r: StepResult) => r.events.map((e) => e.state);
const exit = (code: number): Input => ({
  type: "exit",
  wstatus: exitedStatus(code),
});
const killed = (sig: number): Input => ({
  type: "exit",
  wstatus: signaledStatus(sig),
});

Deno.test("a crash of an UP service that ran ≥ 2 s: RESTART, DOWN, STARTING", () => {
  const { steps } = run({}, [
    [{ type: "up" }, 0],
    [{ type: "timer" }, UP_AFTER_MS],
    [exit(1), 5000],
  ]);
  assert.deepEqual(states(steps[0]), ["STARTING"]);
  assert.deepEqual(states(steps[1]), ["UP"]);
  assert.deepEqual(states(steps[2]), ["RESTART", "DOWN", "STARTING"]);
  // STARTING is published after the spawn (it carries the new pid), the
  // passing DOWN before it (no pid).
  const last = steps[2];
  const spawnAt = last.effects.findIndex((e) => e.type === "spawn");
  assert.equal(last.events[1].at, spawnAt);
  assert.equal(last.events[2].at, spawnAt + 1);
});

Deno.test("a death by SIGHUP with finish: RESTART (finish -1 1), DOWN, STARTING", () => {
  const { steps } = run({ hasFinish: true }, [
    [{ type: "up" }, 0],
    [{ type: "timer" }, UP_AFTER_MS],
    [killed(1), 5000],
    [exit(0), 5100],
  ]);
  assert.deepEqual(steps[2].effects, [{
    type: "spawn",
    script: "finish",
    args: ["-1", "1"],
  }]);
  assert.deepEqual(states(steps[2]), ["RESTART"]);
  assert.deepEqual(states(steps[3]), ["DOWN", "STARTING"]);
});

Deno.test("an early crash: RESTART, DOWN, DELAY, then STARTING", () => {
  const { steps, s } = run({}, [
    [{ type: "up" }, 0],
    [exit(1), 100],
    [{ type: "timer" }, 2100],
  ]);
  assert.deepEqual(states(steps[1]), ["RESTART", "DOWN", "DELAY"]);
  assert.deepEqual(states(steps[2]), ["STARTING"]);
  assert.equal(s.restarts, 1);
});

Deno.test("stop on request: SHUTDOWN, then DOWN once, no passing state", () => {
  const { steps } = run({}, [
    [{ type: "up" }, 0],
    [{ type: "down" }, 3000],
    [killed(15), 3010],
  ]);
  assert.deepEqual(states(steps[1]), ["SHUTDOWN"]);
  assert.deepEqual(states(steps[2]), ["DOWN"]);
});

Deno.test("a request that changes nothing emits nothing: the supervisor announces it", () => {
  const { steps } = run({}, [
    [{ type: "down" }, 0],
    [{ type: "up" }, 10],
    [{ type: "timer" }, 2010],
    [{ type: "up" }, 3000],
    [{ type: "ready" }, 3001],
    [{ type: "restart" }, 3002],
    [{ type: "restart" }, 3003],
  ]);
  assert.deepEqual(states(steps[0]), [], "stop of a DOWN service");
  assert.deepEqual(states(steps[3]), [], "up of an UP service");
  assert.deepEqual(states(steps[4]), [], "ready of an UP service");
  assert.deepEqual(states(steps[5]), ["RESTART"]);
  assert.deepEqual(states(steps[6]), [], "restart while RESTART");
});

Deno.test("notices: where C nitro announces, and what", () => {
  const notices = (r: { events: { state: string; notice: string | null }[] }) =>
    r.events.map((e) => `${e.state}:${e.notice}`);
  const { steps } = run({ hasFinish: true }, [
    [{ type: "up" }, 0],
    [{ type: "restart" }, 10],
    [{ type: "exit", wstatus: 15 }, 20],
  ]);
  assert.deepEqual(notices(steps[0]), ["STARTING:STARTING"]);
  // The request announces its own RESTART (the supervisor does).
  assert.deepEqual(notices(steps[1]), ["RESTART:null"]);
  // Stopped on request, its finish runs in RESTART: announced again, alone.
  assert.deepEqual(notices(steps[2]), ["RESTART:RESTART"]);
});

Deno.test("timers, exits and auto-up emit nothing when nothing changes", () => {
  const { steps } = run({ down: true }, [
    [{ type: "auto-up" }, 0],
    [{ type: "timer" }, 10],
  ]);
  assert.deepEqual(states(steps[0]), []);
  assert.deepEqual(states(steps[1]), []);
});

Deno.test("auto-up: not with a down file, not once somebody asked", () => {
  assert.equal(run({ down: true }, [[{ type: "auto-up" }, 0]]).s.state, "DOWN");
  const asked = run({}, [[{ type: "down" }, 0], [{ type: "auto-up" }, 5]]);
  assert.equal(asked.s.state, "DOWN", "nitroctl down during SYS/setup sticks");
  assert.equal(run({}, [[{ type: "auto-up" }, 0]]).s.state, "STARTING");
});

Deno.test("restarts count the restarts nitro made by itself only", () => {
  const { s } = run({ hasSetup: true }, [
    [{ type: "up" }, 0],
    [exit(1), 10], // setup failed: DELAY
    [{ type: "timer" }, 2010],
    [exit(0), 2020], // setup ok: run
    [{ type: "restart" }, 2030], // asked for: not counted
    [killed(15), 2040],
    [exit(0), 2050],
  ]);
  assert.equal(s.state, "STARTING");
  assert.equal(s.restarts, 1);
});

Deno.test("FATAL carries its reason; leaving FATAL clears it", () => {
  const setup = run({ hasSetup: true }, [[{ type: "up" }, 0], [exit(111), 5]]);
  assert.equal(setup.s.state, "FATAL");
  assert.equal(setup.s.reason, "setup exited 111");
  const gone = run({ unreadable: GONE }, [[{ type: "up" }, 0]]);
  assert.equal(gone.s.reason, "service directory is gone");
  const noexec = run({}, [
    [{ type: "up" }, 0],
    [{ type: "spawn-failed", reason: "run is not executable" }, 1],
  ]);
  assert.equal(noexec.s.reason, "run is not executable");
  const again = run({ hasSetup: true }, [
    [{ type: "up" }, 0],
    [exit(111), 5],
    [{ type: "up" }, 10],
  ]);
  assert.equal(again.s.state, "SETUP");
  assert.equal(again.s.reason, null);
});

Deno.test("exited/wstatus: the last exit of run, for `status`", () => {
  const fresh = run({}, [[{ type: "up" }, 0]]);
  assert.equal(fresh.s.exited, false);
  const crashed = run({}, [[{ type: "up" }, 0], [exit(3), 50]]);
  assert.equal(crashed.s.exited, true);
  assert.equal(crashed.s.wstatus, exitedStatus(3));
});

Deno.test("drain: SHUTDOWN without a signal; the down signal at +7000", () => {
  const { steps, s } = run({}, [
    [{ type: "up" }, 0],
    [{ type: "timer" }, UP_AFTER_MS],
    [{ type: "drain" }, 3000],
    [{ type: "timer" }, 3000 + KILL_AFTER_MS],
  ]);
  assert.deepEqual(steps[2].effects, []);
  assert.deepEqual(states(steps[2]), ["SHUTDOWN"]);
  assert.equal(steps[2].service.wantUp, false);
  assert.deepEqual(steps[3].effects.map((e) => e.type), ["signal", "signal"]);
  assert.equal(s.deadline, 3000 + 2 * KILL_AFTER_MS);
  // A drained logger that exits by itself goes DOWN, not up again.
  const done = run({}, [
    [{ type: "up" }, 0],
    [{ type: "drain" }, 100],
    [exit(0), 200],
  ]);
  assert.equal(done.s.state, "DOWN");
});

Deno.test("an exit with nothing running is a bug, and says so", () => {
  assert.throws(() => run({}, [[exit(0), 0]]), /impossible/);
});
