/**
 * The pure service machine (src/core/machine.ts) on a virtual clock: `now`
 * is a plain number of milliseconds, timers are `{ type: "timer" }` inputs
 * fed at chosen times, and processes "exit" when the test says so.
 *
 * @module
 */

import assert from "node:assert/strict";
import { step } from "../../src/core/machine.ts";
import {
  defaultFacts,
  DELAY_MS,
  type Effect,
  type Input,
  KILL_AFTER_MS,
  newService,
  type Service,
  type ServiceFacts,
  UP_AFTER_MS,
} from "../../src/core/service.ts";
import { exitedStatus, signaledStatus } from "../../src/core/exit_status.ts";

const GONE = "service directory is gone";
import type { SignalName } from "../../src/protocol.ts";

/** A service driven input by input; remembers the effects of the last step. */
class Sim {
  s: Service;
  last: Effect[] = [];

  constructor(
    facts: Partial<ServiceFacts> = {},
    opts: { name?: string; param?: string | null } = {},
  ) {
    this.s = newService(
      opts.name ?? "web",
      opts.param ?? null,
      { ...defaultFacts(), ...facts },
      0,
    );
  }

  /** Feed one input at `now`; returns its effects. */
  feed(input: Input, now: number): Effect[] {
    const r = step(this.s, input, now);
    this.s = r.service;
    this.last = r.effects;
    return r.effects;
  }

  up(now: number): Effect[] {
    return this.feed({ type: "up" }, now);
  }
  down(now: number): Effect[] {
    return this.feed({ type: "down" }, now);
  }
  restart(now: number): Effect[] {
    return this.feed({ type: "restart" }, now);
  }
  ready(now: number): Effect[] {
    return this.feed({ type: "ready" }, now);
  }
  timer(now: number): Effect[] {
    return this.feed({ type: "timer" }, now);
  }
  exit(code: number, now: number): Effect[] {
    return this.feed({ type: "exit", wstatus: exitedStatus(code) }, now);
  }
  killed(signo: number, now: number): Effect[] {
    return this.feed({ type: "exit", wstatus: signaledStatus(signo) }, now);
  }

  get state(): string {
    return this.s.state;
  }
}

function spawn(script: "setup" | "run" | "finish", ...args: string[]): Effect {
  return { type: "spawn", script, args };
}

function signal(sig: SignalName, group = false): Effect {
  return { type: "signal", signal: sig, group };
}

/** The down signal the facts name; the shell reads `down-signal` anew. */
function downSignal(sig: SignalName): Effect {
  return { type: "signal", signal: sig, group: false, down: true };
}

/** A run stopped on request: what it left in its process group is killed. */
const LEFTOVERS = signal("SIGKILL", true);

function warnings(effects: Effect[]): string[] {
  return effects.flatMap((e) => e.type === "warn" ? [e.message] : []);
}

/** A service whose run has come UP by the timer at 2000. */
function upService(facts: Partial<ServiceFacts> = {}): Sim {
  const m = new Sim(facts);
  m.up(0);
  m.timer(UP_AFTER_MS);
  assert.equal(m.state, "UP");
  return m;
}

// --- start ------------------------------------------------------------------

Deno.test("a new service is DOWN, not wanted, with nothing running", () => {
  const m = new Sim();
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.running, null);
  assert.equal(m.s.wantUp, false);
  assert.equal(m.s.deadline, null);
});

Deno.test("DOWN → SETUP → STARTING → UP, spawning setup then run", () => {
  const m = new Sim({ hasSetup: true });
  assert.deepEqual(m.up(0), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
  assert.equal(m.s.running, "setup");
  assert.equal(m.s.deadline, null, "setup has no time limit");
  assert.equal(m.s.wantUp, true);

  assert.deepEqual(m.exit(0, 300), [spawn("run")]);
  assert.equal(m.state, "STARTING");
  assert.equal(m.s.running, "run");
  assert.equal(m.s.since, 300);
  assert.equal(m.s.deadline, 300 + UP_AFTER_MS);

  assert.deepEqual(m.timer(300 + UP_AFTER_MS), []);
  assert.equal(m.state, "UP");
  assert.equal(m.s.since, 2300);
  assert.equal(m.s.deadline, null);
  assert.equal(m.s.running, "run");
});

Deno.test("without setup: DOWN → STARTING at once", () => {
  const m = new Sim();
  assert.deepEqual(m.up(0), [spawn("run")]);
  assert.equal(m.state, "STARTING");
  assert.equal(m.s.runStarted, 0);
});

Deno.test("STARTING → UP at 2000 exactly, not at 1999", () => {
  const m = new Sim();
  m.up(0);
  assert.equal(m.s.deadline, 2000);
  assert.deepEqual(m.timer(1999), []);
  assert.equal(m.state, "STARTING");
  assert.equal(m.s.deadline, 2000, "an early timer leaves the deadline");
  m.timer(2000);
  assert.equal(m.state, "UP");
});

Deno.test("up is idempotent while coming up or up", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  assert.deepEqual(m.up(10), []);
  assert.equal(m.state, "SETUP");
  m.exit(0, 20);
  assert.deepEqual(m.up(30), []);
  assert.equal(m.state, "STARTING");
  m.timer(2020);
  assert.deepEqual(m.up(3000), []);
  assert.equal(m.state, "UP");
});

Deno.test("one-shot: setup only → ONESHOT, no timer, no run", () => {
  const m = new Sim({ hasSetup: true, hasRun: false });
  m.up(0);
  assert.equal(m.state, "SETUP");
  assert.deepEqual(m.exit(0, 50), []);
  assert.equal(m.state, "ONESHOT");
  assert.equal(m.s.running, null);
  assert.equal(m.s.deadline, null);
  assert.deepEqual(m.timer(10_000), []);
  assert.equal(m.state, "ONESHOT");
});

Deno.test("one-shot down without finish → DOWN at once", () => {
  const m = new Sim({ hasSetup: true, hasRun: false });
  m.up(0);
  m.exit(0, 50);
  assert.deepEqual(m.down(100), []);
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.since, 100);
});

Deno.test("one-shot down with finish: ONESHOT while finish 0 0 runs, then DOWN", () => {
  const m = new Sim({ hasSetup: true, hasRun: false, hasFinish: true });
  m.up(0);
  m.exit(0, 50);
  assert.deepEqual(m.down(100), [spawn("finish", "0", "0")]);
  // As in C nitro: still ONESHOT, announced again as the finish starts.
  assert.equal(m.state, "ONESHOT");
  assert.equal(m.s.deadline, 100 + KILL_AFTER_MS);
  assert.deepEqual(
    step(m.s, { type: "down" }, 110).events,
    [],
    "a second down changes nothing",
  );
  assert.deepEqual(m.down(110), [], "no second finish");
  assert.deepEqual(m.up(120), [], "an up meanwhile is ignored, as C's");
  assert.equal(m.state, "ONESHOT");
  assert.deepEqual(m.exit(3, 200), [], "finish's own failure is ignored");
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.deadline, null);
});

Deno.test("one-shot down: the announcement is ONESHOT, then DOWN", () => {
  const m = new Sim({ hasSetup: true, hasRun: false, hasFinish: true });
  m.up(0);
  m.exit(0, 50);
  const down = step(m.s, { type: "down" }, 100);
  assert.deepEqual(
    down.events.map((e) => [e.state, e.notice]),
    [["ONESHOT", "ONESHOT"]],
  );
  const end = step(down.service, { type: "exit", wstatus: 0 }, 200);
  assert.deepEqual(end.events.map((e) => [e.state, e.notice]), [[
    "DOWN",
    "DOWN",
  ]]);
});

Deno.test("one-shot finish past its limit is killed; a restart meanwhile starts it again after", () => {
  const m = new Sim({ hasSetup: true, hasRun: false, hasFinish: true });
  m.up(0);
  m.exit(0, 50);
  m.down(100);
  assert.deepEqual(m.timer(100 + KILL_AFTER_MS), [signal("SIGKILL", true)]);
  assert.equal(m.state, "ONESHOT");
  assert.deepEqual(m.restart(100 + KILL_AFTER_MS + 1), [], "finish runs on");
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.killed(9, 100 + KILL_AFTER_MS + 5), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
});

// --- setup failures ---------------------------------------------------------

Deno.test("setup exit 111 → FATAL with a warning, no restart", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  const effects = m.exit(111, 10);
  assert.equal(m.state, "FATAL");
  assert.equal(effects.length, 1);
  assert.match(warnings(effects)[0], /web.*111/);
  assert.equal(m.s.deadline, null);
  assert.deepEqual(m.timer(100_000), []);
  assert.equal(m.state, "FATAL");
});

Deno.test("other setup exit → DELAY, SETUP again after 2000 (not 1999)", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  assert.deepEqual(m.exit(1, 100), []);
  assert.equal(m.state, "DELAY");
  assert.equal(m.s.deadline, 100 + DELAY_MS);
  assert.deepEqual(m.timer(2099), []);
  assert.equal(m.state, "DELAY");
  assert.deepEqual(m.timer(2100), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
  // And a setup killed by a signal counts as "other".
  m.killed(9, 2200);
  assert.equal(m.state, "DELAY");
});

Deno.test("up from FATAL starts again", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  m.exit(111, 10);
  assert.deepEqual(m.up(20), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
});

// --- readiness --------------------------------------------------------------

for (
  const readiness of [
    { kind: "fd", fd: 3 } as const,
    { kind: "manual" } as const,
  ]
) {
  Deno.test(`readiness ${readiness.kind}: no timer, ready makes UP`, () => {
    const m = new Sim({ readiness });
    assert.deepEqual(m.up(0), [spawn("run")]);
    assert.equal(m.state, "STARTING");
    assert.equal(m.s.deadline, null);
    assert.deepEqual(m.timer(60_000), []);
    assert.equal(m.state, "STARTING");
    assert.deepEqual(m.ready(61_000), []);
    assert.equal(m.state, "UP");
    assert.equal(m.s.since, 61_000);
  });
}

Deno.test("ready only affects STARTING", () => {
  // DOWN
  const m = new Sim({ hasSetup: true, hasRun: true });
  assert.deepEqual(m.ready(0), []);
  assert.equal(m.state, "DOWN");
  // SETUP
  m.up(0);
  assert.deepEqual(m.ready(1), []);
  assert.equal(m.state, "SETUP");
  // DELAY
  m.exit(1, 2);
  assert.deepEqual(m.ready(3), []);
  assert.equal(m.state, "DELAY");
  // UP stays UP (since unchanged)
  const u = upService();
  assert.deepEqual(u.ready(3000), []);
  assert.equal(u.state, "UP");
  assert.equal(u.s.since, 2000);
  // SHUTDOWN
  u.down(4000);
  assert.deepEqual(u.ready(4001), []);
  assert.equal(u.state, "SHUTDOWN");
  // ONESHOT
  const o = new Sim({ hasSetup: true, hasRun: false });
  o.up(0);
  o.exit(0, 1);
  assert.deepEqual(o.ready(2), []);
  assert.equal(o.state, "ONESHOT");
  // FATAL
  const f = new Sim({ unreadable: GONE });
  f.up(0);
  assert.deepEqual(f.ready(1), []);
  assert.equal(f.state, "FATAL");
});

Deno.test("nitroctl ready makes a timer service UP before 2000", () => {
  const m = new Sim();
  m.up(0);
  m.ready(500);
  assert.equal(m.state, "UP");
  assert.equal(m.s.deadline, null);
  assert.deepEqual(m.timer(2000), [], "the old timer is stale now");
  assert.equal(m.state, "UP");
});

// --- crashes ----------------------------------------------------------------

Deno.test("crash while STARTING → DELAY 2000 → run again", () => {
  const m = new Sim();
  m.up(0);
  assert.deepEqual(m.exit(1, 500), []);
  assert.equal(m.state, "DELAY");
  assert.equal(m.s.wstatus, exitedStatus(1));
  assert.equal(m.s.deadline, 500 + DELAY_MS);
  assert.deepEqual(m.timer(2000), [], "STARTING's old timer is stale");
  assert.deepEqual(m.timer(2499), []);
  assert.equal(m.state, "DELAY");
  assert.deepEqual(m.timer(2500), [spawn("run")]);
  assert.equal(m.state, "STARTING");
  assert.equal(m.s.runStarted, 2500);
});

Deno.test("crash within 2 s with finish → RESTART (finish) → DELAY → start", () => {
  const m = new Sim({ hasFinish: true });
  m.up(0);
  assert.deepEqual(m.exit(3, 400), [spawn("finish", "3", "0")]);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.running, "finish");
  assert.equal(m.s.deadline, 400 + KILL_AFTER_MS);
  assert.deepEqual(m.exit(0, 600), []);
  assert.equal(m.state, "DELAY");
  assert.equal(m.s.deadline, 600 + DELAY_MS);
  assert.deepEqual(m.timer(2600), [spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("crash of a fd-ready service that is UP but younger than 2 s → DELAY", () => {
  const m = new Sim({ readiness: { kind: "fd", fd: 3 } });
  m.up(0);
  m.ready(100);
  assert.equal(m.state, "UP");
  m.exit(0, 1999);
  assert.equal(m.state, "DELAY");
});

Deno.test("crash after UP ≥ 2 s → immediate restart, no DELAY", () => {
  const m = upService();
  assert.deepEqual(m.exit(1, 5000), [spawn("run")]);
  assert.equal(m.state, "STARTING");
  assert.equal(m.s.runStarted, 5000);
  assert.equal(m.s.deadline, 5000 + UP_AFTER_MS);
  // Exactly 2 s of life is enough.
  const f = new Sim({ readiness: { kind: "fd", fd: 3 } });
  f.up(0);
  f.ready(10);
  assert.deepEqual(f.exit(0, 2000), [spawn("run")]);
  assert.equal(f.state, "STARTING");
});

Deno.test("crash after UP with finish: finish code signo, then start at once", () => {
  const m = upService({ hasFinish: true });
  assert.deepEqual(m.killed(11, 5000), [spawn("finish", "-1", "11")]);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.wstatus, signaledStatus(11));
  assert.deepEqual(m.exit(0, 5100), [spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("a crash loop costs at most one start per 2 s", () => {
  const m = new Sim();
  m.up(0);
  let starts = 1;
  let now = 0;
  for (let i = 0; i < 10; i++) {
    now += 1; // dies at once
    m.exit(1, now);
    assert.equal(m.state, "DELAY");
    const due = m.s.deadline!;
    assert.ok(due - now >= DELAY_MS);
    now = due;
    if (m.timer(now).some((e) => e.type === "spawn")) starts++;
  }
  assert.equal(starts, 11);
  assert.ok(now >= 10 * DELAY_MS);
});

// --- down -------------------------------------------------------------------

Deno.test("down: down-signal then SIGCONT, SHUTDOWN, DOWN on exit", () => {
  const m = upService();
  assert.deepEqual(m.down(3000), [downSignal("SIGTERM"), signal("SIGCONT")]);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.wantUp, false);
  assert.equal(m.s.deadline, 3000 + KILL_AFTER_MS);
  assert.deepEqual(m.killed(15, 3100), [LEFTOVERS]);
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.deadline, null);
  assert.equal(m.s.running, null);
  assert.deepEqual(m.timer(10_000), [], "the kill timer is stale now");
  assert.equal(m.state, "DOWN");
});

Deno.test("down uses the down-signal of the facts", () => {
  const m = upService({ downSignal: "SIGHUP" });
  assert.deepEqual(m.down(3000), [downSignal("SIGHUP"), signal("SIGCONT")]);
});

Deno.test("down while STARTING signals like UP", () => {
  const m = new Sim({ downSignal: "SIGQUIT" });
  m.up(0);
  assert.deepEqual(m.down(100), [downSignal("SIGQUIT"), signal("SIGCONT")]);
  assert.equal(m.state, "SHUTDOWN");
});

Deno.test("down: SIGKILL to the group at +7000, not at +6999", () => {
  const m = upService();
  m.down(3000);
  assert.deepEqual(m.timer(9999), []);
  assert.equal(m.state, "SHUTDOWN");
  assert.deepEqual(m.timer(10_000), [signal("SIGKILL", true)]);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.deadline, null);
  m.killed(9, 10_010);
  assert.equal(m.state, "DOWN");
});

Deno.test("finish after down gets the exit: -1 and signo when killed", () => {
  const m = upService({ hasFinish: true });
  m.down(3000);
  assert.deepEqual(m.killed(15, 3100), [
    LEFTOVERS,
    spawn("finish", "-1", "15"),
  ]);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.running, "finish");
  assert.equal(m.s.deadline, 3100 + KILL_AFTER_MS);
  assert.deepEqual(m.exit(0, 3200), []);
  assert.equal(m.state, "DOWN");
});

Deno.test("finish after down gets the exit code and 0 when it exited", () => {
  const m = upService({ hasFinish: true });
  m.down(3000);
  assert.deepEqual(m.exit(42, 3100), [LEFTOVERS, spawn("finish", "42", "0")]);
});

Deno.test("finish is killed (group) at +7000", () => {
  const m = upService({ hasFinish: true });
  m.down(3000);
  m.killed(15, 3100);
  assert.deepEqual(m.timer(10_099), []);
  assert.deepEqual(m.timer(10_100), [signal("SIGKILL", true)]);
  assert.equal(m.state, "SHUTDOWN");
  assert.deepEqual(m.killed(9, 10_110), []);
  assert.equal(m.state, "DOWN");
});

Deno.test("down during finish after a crash → DOWN (nitroctl down .)", () => {
  const m = upService({ hasFinish: true });
  m.exit(1, 5000);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.running, "finish");
  assert.deepEqual(m.down(5100), [], "finish is left to end by itself");
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.deadline, 5000 + KILL_AFTER_MS, "still on finish's clock");
  assert.deepEqual(m.exit(0, 5200), [], "no restart");
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.wantUp, false);
});

Deno.test("down during finish after an early crash → DOWN, not DELAY", () => {
  const m = new Sim({ hasFinish: true });
  m.up(0);
  m.exit(1, 100);
  m.down(150);
  assert.deepEqual(m.exit(0, 200), []);
  assert.equal(m.state, "DOWN");
  assert.equal(m.s.deadline, null);
});

Deno.test("down during SETUP: SIGTERM to setup, SHUTDOWN, DOWN on exit", () => {
  const m = new Sim({ hasSetup: true, hasFinish: true });
  m.up(0);
  assert.deepEqual(m.down(100), [signal("SIGTERM")]);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.deadline, 100 + KILL_AFTER_MS);
  assert.deepEqual(m.timer(7100), [signal("SIGKILL", true)]);
  assert.deepEqual(m.killed(9, 7110), []);
  assert.equal(m.state, "DOWN");
});

Deno.test("down from DELAY or FATAL → DOWN, from DOWN → nothing", () => {
  const d = new Sim();
  d.up(0);
  d.exit(1, 10);
  assert.equal(d.state, "DELAY");
  assert.deepEqual(d.down(20), []);
  assert.equal(d.state, "DOWN");
  assert.equal(d.s.deadline, null);
  assert.deepEqual(d.timer(2010), [], "DELAY's timer is stale");
  assert.equal(d.state, "DOWN");

  const f = new Sim({ hasSetup: true });
  f.up(0);
  f.exit(111, 10);
  assert.deepEqual(f.down(20), []);
  assert.equal(f.state, "DOWN");

  const n = new Sim();
  assert.deepEqual(n.down(0), []);
  assert.equal(n.state, "DOWN");
});

Deno.test("down twice while SHUTDOWN changes nothing", () => {
  const m = upService();
  m.down(3000);
  assert.deepEqual(m.down(3500), []);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.deadline, 10_000);
});

// --- restart ----------------------------------------------------------------

Deno.test("restart UP: signal, RESTART, start at once on exit", () => {
  const m = upService({ downSignal: "SIGUSR1" });
  assert.deepEqual(m.restart(3000), [downSignal("SIGUSR1"), signal("SIGCONT")]);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.deadline, 10_000);
  assert.deepEqual(m.killed(10, 3100), [LEFTOVERS, spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("restart STARTING: no DELAY although the run was young", () => {
  const m = new Sim();
  m.up(0);
  m.restart(100);
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.killed(15, 200), [LEFTOVERS, spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("restart with finish: finish, then start", () => {
  const m = upService({ hasFinish: true });
  m.restart(3000);
  assert.deepEqual(m.killed(15, 3100), [
    LEFTOVERS,
    spawn("finish", "-1", "15"),
  ]);
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.exit(0, 3200), [spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("restart kills at +7000 when the run ignores the signal", () => {
  const m = upService();
  m.restart(3000);
  assert.deepEqual(m.timer(10_000), [signal("SIGKILL", true)]);
  assert.deepEqual(m.killed(9, 10_001), [LEFTOVERS, spawn("run")]);
});

Deno.test("restart SETUP: SIGTERM to setup, then SETUP again", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  assert.deepEqual(m.restart(100), [signal("SIGTERM")]);
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.killed(15, 150), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
});

Deno.test("restart ONESHOT: finish 0 0, then setup again", () => {
  const m = new Sim({ hasSetup: true, hasRun: false, hasFinish: true });
  m.up(0);
  m.exit(0, 10);
  assert.deepEqual(m.restart(100), [spawn("finish", "0", "0")]);
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.exit(0, 200), [spawn("setup")]);
  assert.equal(m.state, "SETUP");
  // Without finish: straight to setup.
  const n = new Sim({ hasSetup: true, hasRun: false });
  n.up(0);
  n.exit(0, 10);
  assert.deepEqual(n.restart(100), [spawn("setup")]);
  assert.equal(n.state, "SETUP");
});

Deno.test("restart from DOWN, FATAL or DELAY starts at once", () => {
  const d = new Sim();
  assert.deepEqual(d.restart(0), [spawn("run")]);
  assert.equal(d.state, "STARTING");
  assert.equal(d.s.wantUp, true);

  const f = new Sim({ hasSetup: true });
  f.up(0);
  f.exit(111, 10);
  assert.deepEqual(f.restart(20), [spawn("setup")]);
  assert.equal(f.state, "SETUP");

  const l = new Sim();
  l.up(0);
  l.exit(1, 10);
  assert.equal(l.state, "DELAY");
  assert.deepEqual(l.restart(20), [spawn("run")]);
  assert.equal(l.state, "STARTING");
  assert.deepEqual(l.timer(2010), [], "DELAY's timer is stale");
  assert.equal(l.state, "STARTING");
});

Deno.test("restart during SHUTDOWN → RESTART, start on exit", () => {
  const m = upService();
  m.down(3000);
  assert.deepEqual(m.restart(3100), []);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.deadline, 10_000, "still on the kill clock");
  assert.deepEqual(m.killed(15, 3200), [LEFTOVERS, spawn("run")]);
});

Deno.test("up during SHUTDOWN → RESTART, start on exit", () => {
  const m = upService();
  m.down(3000);
  assert.deepEqual(m.up(3100), []);
  assert.equal(m.state, "RESTART");
  assert.equal(m.s.wantUp, true);
  assert.equal(m.s.since, 3100);
  assert.equal(m.s.deadline, 10_000, "still on the kill clock");
  assert.deepEqual(m.killed(15, 3200), [LEFTOVERS, spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("up during finish after down → RESTART → start after finish", () => {
  const m = upService({ hasFinish: true });
  m.down(3000);
  m.killed(15, 3100);
  assert.equal(m.s.running, "finish");
  m.up(3150);
  assert.equal(m.state, "RESTART");
  assert.deepEqual(m.exit(0, 3200), [spawn("run")]);
  assert.equal(m.state, "STARTING");
});

Deno.test("down during RESTART → SHUTDOWN, keeps the kill clock, DOWN on exit", () => {
  const m = upService();
  m.restart(3000);
  assert.deepEqual(m.down(3100), []);
  assert.equal(m.state, "SHUTDOWN");
  assert.equal(m.s.deadline, 10_000);
  assert.deepEqual(m.killed(15, 3200), [LEFTOVERS]);
  assert.equal(m.state, "DOWN");
});

// --- instances --------------------------------------------------------------

Deno.test("an instance's PARAM: only argument of setup and run, third of finish", () => {
  const m = new Sim(
    { hasSetup: true, hasFinish: true },
    { name: "greeter@bob", param: "bob" },
  );
  assert.deepEqual(m.up(0), [spawn("setup", "bob")]);
  assert.deepEqual(m.exit(0, 10), [spawn("run", "bob")]);
  m.timer(2010);
  m.down(3000);
  assert.deepEqual(m.killed(15, 3010), [
    LEFTOVERS,
    spawn("finish", "-1", "15", "bob"),
  ]);
  const o = new Sim(
    { hasSetup: true, hasRun: false, hasFinish: true },
    { name: "once@x", param: "x" },
  );
  o.up(0);
  o.exit(0, 1);
  assert.deepEqual(o.down(2), [spawn("finish", "0", "0", "x")]);
});

// --- errors -----------------------------------------------------------------

Deno.test("facts.unreadable → FATAL with a warning, nothing spawned", () => {
  const m = new Sim({ unreadable: GONE });
  const effects = m.up(0);
  assert.equal(m.state, "FATAL");
  assert.equal(effects.length, 1);
  assert.match(warnings(effects)[0], /^web: .*gone/);
});

Deno.test("neither run nor setup → ONESHOT at once, nothing spawned", () => {
  const m = new Sim({ hasRun: false, hasSetup: false });
  const r = step(m.s, { type: "up" }, 0);
  assert.equal(r.service.state, "ONESHOT");
  assert.deepEqual(r.effects, []);
  assert.deepEqual(r.events, [{ state: "ONESHOT", at: 0, notice: "ONESHOT" }]);
});

Deno.test("a directory gone while crashing → FATAL, not a restart loop", () => {
  const m = upService();
  m.s = { ...m.s, facts: { ...m.s.facts, unreadable: GONE } };
  const effects = m.exit(1, 5000);
  assert.equal(m.state, "FATAL");
  assert.equal(warnings(effects).length, 1);
  assert.ok(!effects.some((e) => e.type === "spawn"));
});

Deno.test("spawn-failed → FATAL with a warning naming the reason", () => {
  const m = new Sim();
  m.up(0);
  const effects = m.feed({ type: "spawn-failed", reason: "ENOEXEC" }, 1);
  assert.equal(m.state, "FATAL");
  assert.equal(m.s.running, null);
  assert.equal(m.s.deadline, null);
  assert.deepEqual(warnings(effects), ["web: ENOEXEC"]);
  assert.deepEqual(m.timer(2000), [], "STARTING's timer is stale");
  assert.equal(m.state, "FATAL");
});

Deno.test("a transient spawn failure → DELAY, C nitro's line, then a retry", () => {
  const m = new Sim();
  m.up(0);
  const effects = m.feed(
    { type: "spawn-failed", reason: "errno=11", transient: true },
    1,
  );
  assert.equal(m.state, "DELAY");
  assert.equal(m.s.running, null);
  assert.equal(m.s.deadline, 1 + DELAY_MS);
  assert.deepEqual(warnings(effects), ["can't fork web/run: errno=11"]);
  assert.deepEqual(m.timer(1 + DELAY_MS).filter((e) => e.type === "spawn"), [
    spawn("run"),
  ]);
  assert.equal(m.state, "STARTING");
});

Deno.test("a transient spawn failure of setup → DELAY, and down → DOWN", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  const effects = m.feed(
    { type: "spawn-failed", reason: "errno=12", transient: true },
    1,
  );
  assert.deepEqual(warnings(effects), ["can't fork web/setup: errno=12"]);
  assert.equal(m.state, "DELAY");
  m.down(2);
  assert.equal(m.state, "DOWN");
  assert.deepEqual(m.timer(1 + DELAY_MS), [], "DELAY's timer is stale");
});

Deno.test("spawn-failed of setup → FATAL", () => {
  const m = new Sim({ hasSetup: true });
  m.up(0);
  m.feed({ type: "spawn-failed", reason: "EACCES" }, 1);
  assert.equal(m.state, "FATAL");
});

// --- timers -----------------------------------------------------------------

Deno.test("a timer with no deadline, or before it, is ignored", () => {
  const idle = new Sim();
  assert.deepEqual(idle.timer(1_000_000), []);
  assert.equal(idle.state, "DOWN");

  const up = upService();
  const before = up.s;
  assert.deepEqual(up.timer(100_000), []);
  assert.deepEqual(up.s, before);

  const m = upService();
  m.down(3000);
  const shut = m.s;
  assert.deepEqual(m.timer(9999), []);
  assert.deepEqual(m.s, shut, "a stale timer changes nothing at all");
});

Deno.test("a timer is due at or after the deadline (late timers count)", () => {
  const m = new Sim();
  m.up(0);
  m.timer(2500);
  assert.equal(m.state, "UP");
  assert.equal(m.s.since, 2500);
});

// --- purity -----------------------------------------------------------------

Deno.test("step does not mutate the service it is given", () => {
  const s = newService("web", null, defaultFacts(), 0);
  const frozen = structuredClone(s);
  const r = step(s, { type: "up" }, 0);
  assert.deepEqual(s, frozen);
  assert.notEqual(r.service, s);
  assert.equal(r.service.state, "STARTING");
});

Deno.test("since changes only with the state", () => {
  const m = upService();
  m.up(2500);
  assert.equal(m.s.since, 2000);
  m.down(3000);
  assert.equal(m.s.since, 3000);
  m.down(3500);
  assert.equal(m.s.since, 3000);
});

Deno.test({
  // finish's own failure is ignored.
  name: "spawn-failed of finish is ignored: the restart goes on",
  fn() {
    const m = upService({ hasFinish: true });
    m.exit(1, 5000);
    assert.equal(m.s.running, "finish");
    const effects = m.feed({ type: "spawn-failed", reason: "EAGAIN" }, 5000);
    assert.equal(m.state, "STARTING");
    assert.deepEqual(effects.filter((e) => e.type === "spawn"), [spawn("run")]);
  },
});
