/**
 * The service lifecycle as a pure function: `(service, input, now) ->
 * (service, effects, events)`. No I/O, no clock, no timers: the shell feeds
 * inputs, carries out the effects, publishes the events and arms one timer
 * for `service.deadline`.
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
import { decodeStatus, EXIT_FATAL } from "./exit_status.ts";
import { escapeControl } from "./text.ts";
import {
  DELAY_MS,
  type Effect,
  impossible,
  type Input,
  KILL_AFTER_MS,
  type Script,
  type Service,
  UP_AFTER_MS,
} from "./service.ts";

/**
 * A state the service entered, or an announcement of the state it is in,
 * to be published as an event once the first `at` effects of the same step
 * have been carried out - so the event carries the pid of a process the
 * state started.
 */
export interface StateEvent {
  state: State;
  at: number;
  /**
   * The state announced on the wire here (the notify directory), or null:
   * exactly where C nitro announces one, which is not at every change - it
   * is silent on entering DELAY, and on SHUTDOWN or RESTART as a request
   * begins them (the request's own announcement covers those), and it
   * announces the state a `finish` runs in, even STARTING, and DOWN
   * between a failed exec and FATAL, where it never stays (an
   * announcement alone: `state` is then the state it is in).
   */
  notice: State | null;
}

/** The result of one step. */
export interface StepResult {
  service: Service;
  effects: Effect[];
  /** Every state passed through and every announcement, in order. */
  events: StateEvent[];
}

/** Advance `service` by one input at monotonic time `now` (milliseconds). */
export function step(service: Service, input: Input, now: number): StepResult {
  const s: Service = { ...service };
  const effects: Effect[] = [];
  const events: StateEvent[] = [];
  const t = new Transition(s, effects, events, now);
  switch (input.type) {
    case "up":
      s.requested = true;
      t.up();
      break;
    case "down":
      s.requested = true;
      t.down();
      break;
    case "restart":
      s.requested = true;
      t.restart();
      break;
    case "auto-up":
      if (!s.requested && !s.facts.down) t.up();
      break;
    case "drain":
      t.drain();
      break;
    case "ready":
      if (s.state === "STARTING") t.announce("UP");
      break;
    case "timer":
      if (s.deadline !== null && now >= s.deadline) t.timer();
      break;
    case "exit":
      t.exited(input.wstatus);
      break;
    case "spawn-failed":
      t.spawnFailed(input.reason, input.transient ?? false);
      break;
    default:
      impossible("input", input);
  }
  return { service: s, effects, events };
}

/** The mutable working copy of one step, with the moves it can make. */
class Transition {
  constructor(
    private readonly s: Service,
    private readonly effects: Effect[],
    private readonly events: StateEvent[],
    private readonly now: number,
  ) {}

  /** Enter `state` and announce it on the wire. */
  announce(state: State, deadline: number | null = null): void {
    this.enter(state, deadline);
    this.notice(state);
  }

  /**
   * Announce `state` on the wire: as the notice of the change just made,
   * if nothing came after it and it has none; else as an announcement
   * alone.
   */
  notice(state: State): void {
    const last = this.events.at(-1);
    if (
      last !== undefined && last.notice === null &&
      last.at === this.effects.length && last.state === this.s.state
    ) {
      last.notice = state;
    } else {
      this.events.push({
        state: this.s.state,
        at: this.effects.length,
        notice: state,
      });
    }
  }

  /** Change state and clear the deadline (or set a new one). */
  enter(state: State, deadline: number | null = null): void {
    this.switchTo(state);
    this.s.deadline = deadline;
  }

  /** Change state, keeping the deadline (the clock of a stop runs on). */
  switchTo(state: State): void {
    if (this.s.state !== state) {
      this.s.since = this.now;
      this.events.push({ state, at: this.effects.length, notice: null });
    }
    this.s.state = state;
    if (state !== "FATAL") this.s.reason = null;
  }

  up(): void {
    // A one-shot taken down stays ONESHOT while its finish runs, and counts
    // as up: C nitro ignores an up then.
    if (this.finishingOneshot()) return;
    this.s.wantUp = true;
    switch (this.s.state) {
      case "DOWN":
      case "FATAL":
        this.start();
        break;
      case "SHUTDOWN":
        this.s.crashedEarly = false;
        this.s.draining = false;
        this.switchTo("RESTART");
        break;
      case "SETUP":
      case "STARTING":
      case "UP":
      case "ONESHOT":
      case "RESTART":
      case "DELAY":
        // Already up, coming up, or coming back by itself.
        break;
      default:
        impossible("state", this.s.state);
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
        // It stays ONESHOT while its finish runs, as in C nitro; a second
        // down finds the finish running and changes nothing.
        if (!this.finishingOneshot()) this.finish("ONESHOT", "0", "0");
        break;
      case "RESTART":
        // Keep the deadline: the process being stopped is still on the clock.
        this.switchTo("SHUTDOWN");
        break;
      case "DELAY":
      case "FATAL":
        this.enter("DOWN");
        break;
      case "DOWN":
      case "SHUTDOWN":
        break;
      default:
        impossible("state", this.s.state);
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
        // Its finish may run already (it was taken down): it starts again
        // once that ends.
        if (this.finishingOneshot()) this.switchTo("RESTART");
        else this.finish("RESTART", "0", "0");
        break;
      case "SHUTDOWN":
        this.s.draining = false;
        this.switchTo("RESTART");
        break;
      case "DOWN":
      case "FATAL":
      case "DELAY":
        this.start();
        break;
      case "RESTART":
        break;
      default:
        impossible("state", this.s.state);
    }
  }

  drain(): void {
    if (this.s.state !== "STARTING" && this.s.state !== "UP") {
      this.down();
      return;
    }
    this.s.wantUp = false;
    this.s.draining = true;
    this.enter("SHUTDOWN", this.now + KILL_AFTER_MS);
  }

  timer(): void {
    this.s.deadline = null;
    switch (this.s.state) {
      case "STARTING":
        this.announce("UP");
        break;
      case "DELAY":
        this.start();
        break;
      case "SHUTDOWN":
      case "RESTART":
      case "ONESHOT": // Its finish, past the limit.
        if (this.s.draining) {
          // It did not run dry in time: stop it the usual way.
          this.s.draining = false;
          this.stopRun("SHUTDOWN");
        } else if (this.s.running !== null) {
          // Past the grace period: kill whatever of the service is left.
          this.signal("SIGKILL", true);
        }
        break;
      case "DOWN":
      case "SETUP":
      case "UP":
      case "FATAL":
        // No deadline is ever set in these states (setup has no limit).
        throw new Error(`impossible: a deadline in ${this.s.state}`);
      default:
        impossible("state", this.s.state);
    }
  }

  /** A script could not be started: FATAL, except `finish`, whose own
   * failure is ignored: the service goes on as if it had run.
   * When the system ran short, C nitro's line, and a retry after DELAY. */
  spawnFailed(reason: string, transient: boolean): void {
    const script = this.s.running;
    this.s.running = null;
    if (transient) {
      this.effects.push({
        type: "warn",
        message: `can't fork ${this.s.name}/${script}: ${reason}`,
      });
    }
    if (script === "finish") this.afterStop();
    else if (transient) this.enter("DELAY", this.now + DELAY_MS);
    else this.fatal(reason, script === "run");
  }

  exited(wstatus: number): void {
    const script = this.s.running;
    this.s.running = null;
    switch (script) {
      case "setup":
        return this.setupExited(wstatus);
      case "run":
        return this.runExited(wstatus);
      case "finish":
        return this.afterStop();
      case null:
        throw new Error(
          `impossible: ${this.s.name} exited with nothing running`,
        );
      default:
        impossible("script", script);
    }
  }

  /**
   * FATAL for `reason` (control characters escaped: it is printed). A
   * `run` that could not start is announced as C nitro announces an exec
   * failure: DOWN, then FATAL.
   */
  private fatal(reason: string, announceDown = false): void {
    reason = escapeControl(reason);
    this.effects.push({ type: "warn", message: `${this.s.name}: ${reason}` });
    if (announceDown) this.notice("DOWN");
    this.announce("FATAL");
    this.s.reason = reason;
  }

  private setupExited(wstatus: number): void {
    const { code } = decodeStatus(wstatus);
    if (this.s.state !== "SETUP") {
      // Setup was being stopped.
      // C nitro announces DOWN between the two, though it never stays.
      if (this.s.state === "RESTART") {
        this.notice("DOWN");
        this.start();
      } else this.announce("DOWN");
      return;
    }
    if (code === 0) {
      if (this.s.facts.hasRun) this.startRun();
      else this.announce("ONESHOT");
    } else if (code === EXIT_FATAL) {
      this.fatal(`setup exited ${EXIT_FATAL}`);
    } else {
      this.s.restarts++;
      this.enter("DELAY", this.now + DELAY_MS);
    }
  }

  private runExited(wstatus: number): void {
    this.s.wstatus = wstatus;
    this.s.exited = true;
    const { code, signo } = decodeStatus(wstatus);
    if (this.s.state === "STARTING" || this.s.state === "UP") {
      // It ended on its own: restart it, after a pause if it was quick.
      this.s.crashedEarly = this.s.state === "STARTING" ||
        this.now - this.s.runStarted < UP_AFTER_MS;
      if (this.s.wantUp) this.s.restarts++;
      // C nitro announces a run that died while STARTING as STARTING.
      const announced = this.s.state;
      this.finish("RESTART", String(code), String(signo), announced);
      return;
    }
    // Stopped on request: what the run left in its process group (children
    // that ignored or never got the down signal) goes with it.
    this.signal("SIGKILL", true);
    this.finish(this.s.state, String(code), String(signo));
  }

  /**
   * Run `finish` (if there is one) in `state`, announced as `announced`
   * (C nitro's state while its finish runs), else go on at once.
   */
  private finish(
    state: State,
    code: string,
    signo: string,
    announced: State = state,
  ): void {
    if (!this.s.facts.hasFinish) {
      this.switchTo(state);
      this.afterStop();
      return;
    }
    const args = this.s.param === null
      ? [code, signo]
      : [code, signo, this.s.param];
    this.spawn("finish", args);
    this.enter(state, this.now + KILL_AFTER_MS);
    this.notice(announced === "UP" ? "RESTART" : announced);
  }

  /**
   * Everything of the old run is gone: the service is DOWN - an event even
   * when it goes on at once - and then maybe starts again.
   */
  private afterStop(): void {
    const again = this.s.state !== "SHUTDOWN" && this.s.wantUp;
    this.s.draining = false;
    this.announce("DOWN");
    if (!again) return;
    if (this.s.crashedEarly) this.enter("DELAY", this.now + DELAY_MS);
    else this.start();
  }

  private stopRun(state: "SHUTDOWN" | "RESTART"): void {
    this.effects.push({
      type: "signal",
      signal: this.s.facts.downSignal,
      group: false,
      down: true,
    });
    this.signal("SIGCONT");
    this.enter(state, this.now + KILL_AFTER_MS);
  }

  /** Whether this is a one-shot taken down, its finish still running. */
  private finishingOneshot(): boolean {
    return this.s.state === "ONESHOT" && this.s.running === "finish";
  }

  /** Begin the start sequence: SETUP if there is a setup, else run. */
  private start(): void {
    const f = this.s.facts;
    this.s.crashedEarly = false;
    if (f.unreadable !== null) return this.fatal(f.unreadable, true);
    if (f.hasSetup) {
      this.spawn("setup", this.paramArgs());
      this.announce("SETUP");
    } else if (f.hasRun) {
      this.startRun();
    } else {
      // Neither setup nor run (it was removed since): nothing to do.
      this.announce("ONESHOT");
    }
  }

  private startRun(): void {
    this.s.runStarted = this.now;
    const timed = this.s.facts.readiness.kind === "timer";
    this.spawn("run", this.paramArgs());
    this.announce("STARTING", timed ? this.now + UP_AFTER_MS : null);
  }

  /** `setup` and `run` of an instance get PARAM as their only argument. */
  private paramArgs(): string[] {
    return this.s.param === null ? [] : [this.s.param];
  }

  private spawn(script: Script, args: string[]): void {
    this.s.running = script;
    this.effects.push({ type: "spawn", script, args });
  }

  private signal(signal: SignalName, group = false): void {
    this.effects.push({ type: "signal", signal, group });
  }
}
