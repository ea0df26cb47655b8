/**
 * The service lifecycle as a pure function: `(service, input, now) →
 * (service, effects)`. No I/O, no clock, no timers: the shell feeds inputs,
 * carries out the effects and arms one timer for `service.deadline`.
 *
 * @example A service without setup comes up after two seconds
 * ```ts
 * import { step } from "./machine.ts";
 * import { defaultFacts, newService } from "./service.ts";
 *
 * let s = newService("web", null, defaultFacts(), 0);
 * let r = step(s, { type: "up" }, 0); // STARTING, spawn run
 * r = step(r.service, { type: "timer" }, 2000); // UP
 * ```
 *
 * @module
 */

import type { SignalName, State } from "../protocol.ts";
import {
  decodeStatus,
  DELAY_MS,
  type Effect,
  type Input,
  KILL_AFTER_MS,
  type Service,
  UP_AFTER_MS,
} from "./service.ts";

/** The result of one step. */
export interface StepResult {
  service: Service;
  effects: Effect[];
}

/** Exit status of `setup` that means "this will not fix itself". */
const SETUP_FATAL = 111;

/** Advance `service` by one input at monotonic time `now` (milliseconds). */
export function step(service: Service, input: Input, now: number): StepResult {
  const s: Service = { ...service };
  const effects: Effect[] = [];
  const t = new Transition(s, effects, now);
  switch (input.type) {
    case "up":
      t.up();
      break;
    case "down":
      t.down();
      break;
    case "restart":
      t.restart();
      break;
    case "ready":
      if (s.state === "STARTING") t.enter("UP");
      break;
    case "timer":
      if (s.deadline !== null && now >= s.deadline) t.timer();
      break;
    case "exit":
      t.exited(input.wstatus);
      break;
    case "spawn-failed":
      effects.push({ type: "warn", message: `${s.name}: ${input.reason}` });
      t.spawnFailed();
      break;
  }
  return { service: s, effects };
}

/** The mutable working copy of one step, with the moves it can make. */
class Transition {
  constructor(
    private readonly s: Service,
    private readonly effects: Effect[],
    private readonly now: number,
  ) {}

  /** Change state; every state change clears the deadline first. */
  enter(state: State, deadline: number | null = null): void {
    if (this.s.state !== state) this.s.since = this.now;
    this.s.state = state;
    this.s.deadline = deadline;
  }

  up(): void {
    this.s.wantUp = true;
    switch (this.s.state) {
      case "DOWN":
      case "FATAL":
        this.start();
        break;
      case "SHUTDOWN":
        this.s.crashedEarly = false;
        this.s.state = "RESTART";
        this.s.since = this.now;
        break;
      default:
        // Already up, coming up, or coming back by itself.
        break;
    }
  }

  down(): void {
    this.s.wantUp = false;
    switch (this.s.state) {
      case "SETUP":
        this.signal("SIGTERM");
        this.enter("SHUTDOWN", this.now + KILL_AFTER_MS);
        break;
      case "STARTING":
      case "UP":
        this.stopRun("SHUTDOWN");
        break;
      case "ONESHOT":
        this.finish("SHUTDOWN", "0", "0");
        break;
      case "RESTART":
        // Keep the deadline: the process being stopped is still on the clock.
        this.s.state = "SHUTDOWN";
        this.s.since = this.now;
        break;
      case "DELAY":
      case "FATAL":
        this.enter("DOWN");
        break;
      default:
        break;
    }
  }

  restart(): void {
    this.s.wantUp = true;
    this.s.crashedEarly = false;
    switch (this.s.state) {
      case "SETUP":
        this.signal("SIGTERM");
        this.enter("RESTART", this.now + KILL_AFTER_MS);
        break;
      case "STARTING":
      case "UP":
        this.stopRun("RESTART");
        break;
      case "ONESHOT":
        this.finish("RESTART", "0", "0");
        break;
      case "SHUTDOWN":
        this.s.state = "RESTART";
        this.s.since = this.now;
        break;
      case "DOWN":
      case "FATAL":
      case "DELAY":
        this.start();
        break;
      default:
        break;
    }
  }

  timer(): void {
    this.s.deadline = null;
    switch (this.s.state) {
      case "STARTING":
        this.enter("UP");
        break;
      case "DELAY":
        this.start();
        break;
      case "SHUTDOWN":
      case "RESTART":
      case "SETUP":
        // Past the grace period: kill whatever of the service is left.
        if (this.s.running !== null) this.signal("SIGKILL", true);
        break;
      default:
        break;
    }
  }

  /** A script could not be started: FATAL, except `finish`, whose own
   * failure is ignored (spec §1): the service goes on as if it had run. */
  spawnFailed(): void {
    const script = this.s.running;
    this.s.running = null;
    if (script === "finish") this.afterStop();
    else this.enter("FATAL");
  }

  exited(wstatus: number): void {
    const script = this.s.running;
    this.s.running = null;
    if (script === "setup") this.setupExited(wstatus);
    else if (script === "run") this.runExited(wstatus);
    else if (script === "finish") this.afterStop();
  }

  private setupExited(wstatus: number): void {
    const { code } = decodeStatus(wstatus);
    if (this.s.state !== "SETUP") {
      // Setup was being stopped.
      if (this.s.state === "RESTART") this.start();
      else this.enter("DOWN");
      return;
    }
    if (code === 0) {
      if (this.s.facts.hasRun) this.startRun();
      else this.enter("ONESHOT");
    } else if (code === SETUP_FATAL) {
      this.effects.push({
        type: "warn",
        message: `${this.s.name}: setup exited 111, service is FATAL`,
      });
      this.enter("FATAL");
    } else {
      this.enter("DELAY", this.now + DELAY_MS);
    }
  }

  private runExited(wstatus: number): void {
    this.s.wstatus = wstatus;
    const { code, signo } = decodeStatus(wstatus);
    if (this.s.state === "STARTING" || this.s.state === "UP") {
      // It ended on its own: restart it, after a pause if it was quick.
      this.s.crashedEarly = this.s.state === "STARTING" ||
        this.now - this.s.runStarted < UP_AFTER_MS;
      if (this.s.facts.hasFinish) {
        this.finish("RESTART", String(code), String(signo));
      } else {
        this.s.state = "RESTART";
        this.afterStop();
      }
      return;
    }
    // Stopped on request: what the run left in its process group (children
    // that ignored or never got the down signal) goes with it.
    this.signal("SIGKILL", true);
    if (this.s.facts.hasFinish) {
      this.finish(this.s.state, String(code), String(signo));
    } else {
      this.afterStop();
    }
  }

  /** Run `finish` (if there is one) in `state`, else go on at once. */
  private finish(state: State, code: string, signo: string): void {
    if (!this.s.facts.hasFinish) {
      this.s.state = state;
      this.afterStop();
      return;
    }
    this.enter(state, this.now + KILL_AFTER_MS);
    this.spawn("finish", [code, signo]);
  }

  /** Everything of the old run is gone: go DOWN, or start again. */
  private afterStop(): void {
    if (this.s.state === "SHUTDOWN" || !this.s.wantUp) {
      this.enter("DOWN");
    } else if (this.s.crashedEarly) {
      this.enter("DELAY", this.now + DELAY_MS);
    } else {
      this.start();
    }
  }

  private stopRun(state: "SHUTDOWN" | "RESTART"): void {
    this.signal(this.s.facts.downSignal);
    this.signal("SIGCONT");
    this.enter(state, this.now + KILL_AFTER_MS);
  }

  /** Begin the start sequence: SETUP if there is a setup, else run. */
  private start(): void {
    const f = this.s.facts;
    this.s.crashedEarly = false;
    const problem = f.gone
      ? "service directory is gone"
      : !f.hasSetup && !f.hasRun
      ? "neither run nor setup is executable"
      : f.problem;
    if (problem !== null) {
      this.effects.push({
        type: "warn",
        message: `${this.s.name}: ${problem}`,
      });
      this.enter("FATAL");
      return;
    }
    if (f.hasSetup) {
      this.enter("SETUP");
      this.spawn("setup", []);
    } else {
      this.startRun();
    }
  }

  private startRun(): void {
    this.s.runStarted = this.now;
    const timed = this.s.facts.readiness.kind === "timer";
    this.enter("STARTING", timed ? this.now + UP_AFTER_MS : null);
    this.spawn("run", []);
  }

  private spawn(script: "setup" | "run" | "finish", args: string[]): void {
    this.s.running = script;
    const first = this.s.param === null ? [] : [this.s.param];
    this.effects.push({ type: "spawn", script, args: [...first, ...args] });
  }

  private signal(signal: SignalName, group = false): void {
    this.effects.push({ type: "signal", signal, group });
  }
}
