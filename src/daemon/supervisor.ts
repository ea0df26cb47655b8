/**
 * The supervisor: the effectful shell around the pure core. It owns the
 * table of services and carries out what the core decides - the service
 * machine's effects (processes, signals, one timer per service), the system
 * machine's effects (SYS scripts, starting and stopping everything) and the
 * rescan plan - and feeds back what happened (exits, readiness, deadlines).
 * It decides nothing itself: every "whether" is a call into `src/core/`.
 *
 * @module
 */

import { join } from "node:path";
import type { ServiceEvent, SignalName, State } from "../protocol.ts";
import { step } from "../core/machine.ts";
import {
  type Effect,
  impossible,
  type Input,
  newService,
  type Service,
} from "../core/service.ts";
import {
  shutdownInput,
  stoppable,
  writerStartsLogger,
} from "../core/logging.ts";
import { planRescan } from "../core/rescan.ts";
import {
  admits,
  bootOrder,
  type EndMode,
  isEnding,
  newSystem,
  startsNewServices,
  stepSystem,
  type System,
  type SystemEffect,
  type SystemInput,
} from "../core/system.ts";
import { isTemplate, splitInstance } from "../config/names.ts";
import {
  type Entries,
  type FoundService,
  isExecutable,
  probeFacts,
  scanServiceDir,
} from "../config/scan.ts";
import type { EventHistory } from "./history.ts";
import { serviceEventHistory } from "./event_ring.ts";
import { DirectoryIndex } from "./dir_index.ts";
import { EntryCache } from "./entry_cache.ts";
import { kill } from "./kill.ts";
import { LogWiring } from "./log_wiring.ts";
import { startScript } from "./spawn.ts";
import { runSysScript } from "./sys_script.ts";

export type { EndMode };

/** How many recent events the history keeps (besides those of the boot). */
export const HISTORY_SIZE = 1000;
/** Services started at boot before nitro looks at its event loop again. */
const START_BATCH = 16;
/** Name of the system pseudo-service. */
const SYS = "SYS";
/** PATH given to scripts when nitro has none. */
const DEFAULT_PATH =
  "/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin";

/** Hooks the pid-1 layer plugs in; absent outside pid 1. */
export interface SystemHooks {
  /** Kill every remaining process (pid 1 only), before SYS/final. */
  killAll?: () => Promise<void>;
}

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** The service directory, absolute. */
  dir: string;
  /** nitro's private runtime directory (log pipes). */
  runDir: string;
  /**
   * Prints one diagnostic line (to nitro's stderr); with `raw`, the text as
   * it is (part of a line).
   */
  log: (line: string, opts?: { raw?: boolean }) => void;
  /** Whether nitro's own stdout and stderr can be handed to children. */
  stdio: { stdout: boolean; stderr: boolean };
  hooks?: SystemHooks;
}

/** Where a service stands, as `status` reports it. */
export interface ServiceSnapshot {
  state: State;
  pid: number | null;
  /** Raw wait status of the last exit of `run` (0 before any). */
  wstatus: number;
  /** Monotonic time of the last state change. */
  since: number;
  /** Whether nitro wants it up (a wait for UP fails once it does not). */
  wantUp: boolean;
}

/** What `detail` adds to `status`, for `nitroctl status` and metrics. */
export interface ServiceDetailFacts {
  restarts: number;
  /** Raw wait status of the last exit of `run`; null before any. */
  lastExit: number | null;
  /** Monotonic time `run` started, while it runs; else null. */
  runStarted: number | null;
  logger: string | null;
  readiness: "timer" | "manual" | number;
  reason: string | null;
}

/** One row of the service table. */
interface Entry {
  svc: Service;
  /** Directory of the scripts (the template's, for an instance). */
  dir: string;
  pid: number | null;
  /** Process group (= session) of the last process: what it may leave. */
  group: number | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  timerAt: number | null;
  /** Logger the current (or last) process writes into. */
  logger: string | null;
  /** Has an entry in DIR (as opposed to an instance made in memory). */
  onDisk: boolean;
  /** Gone from DIR: forgotten once DOWN. */
  removed: boolean;
  /**
   * What its directory held when the current decision was made: the
   * `log` link a spawn of that decision looks for is read from this, not
   * from a second look at the directory.
   */
  entries: Entries | null;
}

/** The supervisor of one service directory. */
export class Supervisor {
  readonly dir: string;
  readonly history: EventHistory<ServiceEvent> = serviceEventHistory(
    HISTORY_SIZE,
  );
  /** Service directories by (device, inode), for SERVICE paths. */
  readonly directories: DirectoryIndex = new DirectoryIndex();
  /** Processes that ended and were collected (orphans too, as pid 1). */
  reaps = 0;
  /** Service processes (scripts nitro started) that ended. */
  svReaps = 0;
  /** Monotonic time the current boot began. */
  bootTime = 0;
  #opts: SupervisorOptions;
  #services = new Map<string, Entry>();
  #templates = new Map<string, string>();
  #wiring: LogWiring;
  /** What each service directory holds, listed again when it changed. */
  #entries = new EntryCache();
  #listeners = new Set<(e: ServiceEvent) => void>();
  #t0 = performance.now();
  #system: System = newSystem();
  #ended: (mode: EndMode) => void = () => {};
  /** SYS while one of its scripts runs (listed), else null. */
  #sys: { state: State; pid: number | null; since: number } | null = null;
  #env: Record<string, string>;
  /** Counts boots: a SYS script of an earlier boot reports to nobody. */
  #boots = 0;
  /** "waiting for N services to finish... " is printed, "done." is due. */
  #waiting = false;
  /** A look at the shutdown is due at the next turn of the event loop. */
  #shutdownDue = false;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.dir = opts.dir;
    this.#wiring = new LogWiring(opts.runDir, opts.stdio.stdout);
    this.#env = Deno.env.toObject();
    this.#env.PATH ??= DEFAULT_PATH;
  }

  /** Monotonic milliseconds since this supervisor was made. */
  now(): number {
    return performance.now() - this.#t0;
  }

  /** Whether the system is going down (requests to start are refused). */
  get stopping(): boolean {
    return isEnding(this.#system);
  }

  /**
   * Boot: SYS/setup, then every service without `down`, LOG first.
   * Resolves when the system has ended, with how it ended.
   */
  run(): Promise<EndMode> {
    const ended = new Promise<EndMode>((resolve) => this.#ended = resolve);
    this.#guard("boot", () => {
      this.#boots++;
      this.#system = newSystem();
      this.bootTime = Math.round(this.now());
      this.history.startBoot();
      this.#wiring.pipes.init();
      for (const e of this.#services.values()) clearTimeout(e.timer);
      this.#services.clear();
      this.rescan();
      this.#systemInput({
        type: "boot",
        hasSetup: isExecutable(join(this.dir, SYS, "setup")),
      });
    });
    return ended;
  }

  /** Begin the end: SYS/finish, services down in order, SYS/final. */
  end(mode: EndMode): void {
    this.#guard("shutdown", () =>
      this.#systemInput({
        type: "end",
        mode,
        hasFinish: isExecutable(join(this.dir, SYS, "finish")),
      }));
  }

  /** Subscribe to every state change; returns the unsubscribe function. */
  subscribe(listener: (e: ServiceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Names of all services, sorted. */
  names(): string[] {
    return [...this.#services.keys(), ...(this.#sys ? [SYS] : [])].sort();
  }

  /** Whether `name` is SYS, which nitro itself runs (no requests). */
  isSystem(name: string): boolean {
    return name === SYS;
  }

  /** Whether `name` is a service. */
  has(name: string): boolean {
    return this.#services.has(name) || (name === SYS && this.#sys !== null);
  }

  /** State, pid, last wait status and time of the last change. */
  status(name: string): ServiceSnapshot | null {
    if (name === SYS && this.#sys) {
      return { ...this.#sys, wstatus: 0, wantUp: false };
    }
    const e = this.#services.get(name);
    if (!e) return null;
    const { state, since, wstatus, wantUp } = e.svc;
    return { state, pid: e.pid, wstatus, since, wantUp };
  }

  /** Why a service is where it is: restarts, last exit, logger, reason. */
  detail(name: string): ServiceDetailFacts | null {
    const e = this.#services.get(name);
    if (!e) return null;
    const s = e.svc;
    const r = s.facts.readiness;
    return {
      restarts: s.restarts,
      lastExit: s.exited ? s.wstatus : null,
      runStarted: s.running === "run" ? s.runStarted : null,
      logger: e.pid !== null ? e.logger : this.#logTarget(e),
      readiness: r.kind === "fd" ? r.fd : r.kind,
      reason: s.reason,
    };
  }

  /**
   * Make `NAME@PARAM` an in-memory instance when its template exists.
   * Returns whether the service exists now.
   */
  ensureInstance(name: string): boolean {
    if (this.#services.has(name)) return true;
    const inst = splitInstance(name);
    if (inst === null || isTemplate(name)) return false;
    const dir = this.#templates.get(inst.template);
    if (dir === undefined) return false;
    this.#add({ name, dir, param: inst.param }, false);
    this.directories.update([[name, dir]]);
    return true;
  }

  /** Feed one input to a service (ignored for unknown names and SYS). */
  input(name: string, first: Input): void {
    const e = this.#services.get(name);
    if (!e) return;
    if (!admits(this.#system, first)) return;
    this.#guard(name, () => this.#feed(e, first));
  }

  /** Deliver `signal` to a service's current process; false if none. */
  signal(name: string, signal: SignalName): boolean {
    const pid = this.status(name)?.pid ?? null;
    return pid !== null && kill(pid, signal);
  }

  /**
   * Re-read the service directory and carry out the core's plan: add new
   * services (brought up unless `down` or during SYS/setup), bring down and
   * forget those gone, forget DOWN instances nothing refers to.
   */
  rescan(): void {
    // The entry cache stays: it checks each directory's identity and mtime,
    // so a directory gone or back in another shape is listed again, and the
    // rest cost one stat instead of a listing each.
    let found;
    try {
      found = scanServiceDir(this.dir);
    } catch (err) {
      this.#say(`cannot scan ${this.dir}: ${message(err)}`);
      return;
    }
    for (const line of found.ignored) this.#say(`ignoring ${line}`);
    found.services.delete(SYS);
    this.#templates = found.templates;
    this.#wiring.hasLogTemplate = found.templates.has("LOG@");
    const hasLog = found.services.has("LOG");
    const loggers = new Set<string>();
    const refer = (name: string, param: string | null, dir: string) => {
      // With the listing, a service without a `log` link costs no readlink
      // (a failing one per service made a rescan of 10,000 slow).
      const logger = this.#wiring.loggerName(
        { name, param, dir },
        hasLog,
        this.#entries.of(dir),
      );
      if (logger !== null) loggers.add(logger);
    };
    for (const f of found.services.values()) refer(f.name, f.param, f.dir);
    for (const e of this.#services.values()) {
      if (!found.services.has(e.svc.name)) {
        refer(e.svc.name, e.svc.param, e.dir);
      }
    }
    const known = [...this.#services.values()].map((e) => ({
      name: e.svc.name,
      onDisk: e.onDisk,
      idle: e.svc.state === "DOWN" && e.svc.running === null,
    }));
    const plan = planRescan(known, {
      services: found.services,
      templates: new Set(found.templates.keys()),
    }, loggers);
    for (const f of plan.keep) {
      const e = this.#services.get(f.name)!;
      Object.assign(e, { dir: f.dir, onDisk: true, removed: false });
    }
    for (const f of plan.add) this.#add(f, true);
    this.#wiring.loggers = loggers;
    // Logger instances are listed (DOWN) as soon as a service refers to them.
    for (const logger of loggers) this.ensureInstance(logger);
    for (const name of plan.forget) this.#forget(this.#services.get(name)!);
    for (const name of plan.remove) {
      const e = this.#services.get(name)!;
      e.removed = true;
      e.onDisk = false;
      this.input(name, { type: "down" });
      this.#forgetIfDone(e);
    }
    this.directories.replace(
      [...this.#services.values()].map((e) => [e.svc.name, e.dir]),
    );
    // New services start now, unless SYS/setup runs: they wait for its end.
    if (!startsNewServices(this.#system)) return;
    for (const f of plan.add) this.input(f.name, { type: "auto-up" });
  }

  // --- the system ----------------------------------------------------------

  #systemInput(input: SystemInput): void {
    const { system, effects } = stepSystem(this.#system, input);
    this.#system = system;
    for (const effect of effects) this.#carryOutSystem(effect);
  }

  #carryOutSystem(effect: SystemEffect): void {
    switch (effect.type) {
      case "say":
        return this.#say(effect.text);
      case "event":
        return this.#setSys(effect.state);
      case "run":
        return void this.#runSys(effect.script, effect.args, effect.limitMs);
      case "stop-setup":
        if (this.#sys?.pid) kill(-this.#sys.pid, "SIGTERM");
        return;
      case "start-services": {
        const names = bootOrder(this.#services.keys()).filter((name) =>
          this.#services.get(name)?.onDisk
        );
        this.#startAll(names).catch((err) => this.#internal("boot", err));
        return;
      }
      case "stop-services": {
        const left = [...this.#services.values()].filter((e) => !stopped(e));
        this.#waiting = left.length > 0;
        if (this.#waiting) {
          this.#write(
            `- nitro: waiting for ${left.length} services to finish... `,
          );
        }
        this.#progressShutdown();
        return;
      }
      case "kill-all": {
        const killAll = this.#opts.hooks?.killAll ?? (() => Promise.resolve());
        killAll().catch((err) => this.#internal("kill-all", err)).finally(
          () =>
            this.#guard(
              "shutdown",
              () => this.#systemInput({ type: "killed" }),
            ),
        );
        return;
      }
      case "ended":
        this.#wiring.pipes.closeAll();
        for (const e of this.#services.values()) clearTimeout(e.timer);
        if (this.#sys) this.#setSys("DOWN");
        this.#ended(effect.mode);
        return;
      default:
        impossible("system effect", effect);
    }
  }

  async #runSys(
    script: "setup" | "finish" | "final",
    args: string[],
    limitMs: number | null,
  ): Promise<void> {
    const ended: SystemInput = script === "setup"
      ? { type: "setup-ended", wstatus: 127 << 8 }
      : script === "finish"
      ? { type: "finish-ended" }
      : { type: "final-ended" };
    const boot = this.#boots;
    let wstatus: number | null = null;
    try {
      wstatus = await this.#runSysScript(script, args, limitMs, boot);
    } catch (err) {
      // Whatever went wrong, the lifecycle must go on, or nitro never ends.
      this.#internal(`SYS/${script}`, err);
    }
    if (boot !== this.#boots) return; // A reboot overtook it.
    if (wstatus !== null && ended.type === "setup-ended") {
      ended.wstatus = wstatus;
    }
    this.#guard("SYS", () => this.#systemInput(ended));
  }

  /** Run SYS/`script` if it exists; its wait status, or null. */
  async #runSysScript(
    script: "setup" | "finish" | "final",
    args: string[],
    limitMs: number | null,
    boot: number,
  ): Promise<number | null> {
    let wstatus: number | null = null;
    if (isExecutable(join(this.dir, SYS, script))) {
      // SYS/finish writes into LOG, as the services' scripts do (LOG runs).
      const logger = script === "finish" ? this.#logTarget(null) : null;
      wstatus = await runSysScript({
        dir: this.dir,
        script,
        args,
        limitMs,
        env: this.#env,
        stdout: this.#wiring.stdout(logger),
        stderrInherit: this.#opts.stdio.stderr,
        started: (pid) => {
          if (this.#sys && boot === this.#boots) this.#sys.pid = pid;
        },
        say: (text) => this.#say(text),
      });
      this.reaps++;
      this.svReaps++;
      if (this.#sys && boot === this.#boots) this.#sys.pid = null;
    }
    return wstatus;
  }

  /**
   * Bring services up, {@link START_BATCH} at a time: between batches the
   * event loop serves clients, readiness pipes and exits, so a boot of
   * thousands of services does not make nitro deaf for its duration.
   */
  async #startAll(names: string[]): Promise<void> {
    const boot = this.#boots;
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % START_BATCH === 0) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (boot !== this.#boots) return; // Rebooted meanwhile.
      }
      this.input(names[i], { type: "auto-up" });
    }
  }

  /** During shutdown: stop whatever may stop now; go on when all are. */
  #progressShutdown(): void {
    if (this.#system.phase !== "services") return;
    const entries = [...this.#services.values()];
    const candidates = entries.map((e) => {
      const done = stopped(e);
      // Not stopped yet, it may still write (a one-shot's finish will).
      return {
        name: e.svc.name,
        stopped: done,
        logger: done ? null : e.logger,
      };
    });
    if (candidates.every((c) => c.stopped)) {
      if (this.#waiting) this.#write("done.\n");
      this.#waiting = false;
      this.#systemInput({ type: "services-down" });
      return;
    }
    for (const name of stoppable(candidates)) {
      const e = this.#services.get(name)!;
      if (e.svc.state === "SHUTDOWN") continue;
      const input = shutdownInput(name, this.#wiring.loggers);
      // Every writer has ended: let a logger read its pipe to the end.
      if (input === "drain") this.#wiring.pipes.release(name);
      this.input(name, { type: input });
    }
  }

  // --- one service ---------------------------------------------------------

  #feed(e: Entry, first: Input): void {
    const queue: Input[] = [first];
    while (queue.length > 0) {
      const input = queue.shift()!;
      if (input.type !== "ready" && input.type !== "spawn-failed") {
        e.entries = this.#entries.of(e.dir);
        e.svc = { ...e.svc, facts: probeFacts(e.dir, e.entries) };
      }
      const now = this.now();
      const { service, effects, events } = step(e.svc, input, now);
      e.svc = service;
      let next = 0;
      for (let i = 0; i <= effects.length; i++) {
        while (next < events.length && events[next].at === i) {
          this.#publish(e, events[next++].state, now);
        }
        if (i === effects.length) break;
        const failure = this.#carryOut(e, effects[i]);
        if (failure !== null) queue.push(failure);
      }
      this.#armTimer(e);
    }
    if (stopped(e)) {
      this.#forgetIfDone(e);
      this.#progressShutdownSoon();
    }
  }

  /**
   * Look at the shutdown once per turn of the event loop, not once per
   * service that stopped: each look goes over every service, and thousands
   * stopping at once made the shutdown quadratic (seconds at 2,000).
   */
  #progressShutdownSoon(): void {
    if (this.#system.phase !== "services" || this.#shutdownDue) return;
    this.#shutdownDue = true;
    setTimeout(() => {
      this.#shutdownDue = false;
      this.#guard("shutdown", () => this.#progressShutdown());
    }, 0);
  }

  /** Carry out one effect; returns the input to feed back on failure. */
  #carryOut(e: Entry, effect: Effect): Input | null {
    switch (effect.type) {
      case "warn":
        this.#say(effect.message);
        return null;
      case "signal": {
        const target = effect.group ? -(e.pid ?? e.group ?? 0) : e.pid;
        // Gone already? Its exit is on the way.
        if (target) kill(target, effect.signal);
        return null;
      }
      case "spawn":
        try {
          this.#spawn(e, effect.script, effect.args);
          return null;
        } catch (err) {
          return { type: "spawn-failed", reason: message(err) };
        }
      default:
        impossible("effect", effect);
    }
  }

  #spawn(e: Entry, script: string, args: string[]): void {
    const name = e.svc.name;
    const logger = this.#logTarget(e, e.entries);
    const readiness = e.svc.facts.readiness;
    const notifyFd = script === "run" && readiness.kind === "fd"
      ? readiness.fd
      : null;
    const pid = startScript({
      command: join(e.dir, script),
      args,
      cwd: e.dir,
      env: { ...this.#env, NITRO_SERVICE: name },
      stdin: this.#wiring.stdin(name),
      stdout: this.#wiring.stdout(logger),
      stderrInherit: this.#opts.stdio.stderr,
      notifyFd,
      // Made only where it can be called: it lives as long as the process.
      onReady: notifyFd === null ? undefined : () => {
        if (e.pid === pid) this.input(name, { type: "ready" });
      },
    }, (wstatus) => this.#exited(e, pid, wstatus));
    e.pid = pid;
    e.group = pid; // Every script starts a session of its own.
    e.logger = logger;
    if (logger === null || logger === name) return;
    // A logger starts with the first service that writes into it.
    const l = this.#services.get(logger);
    if (l && writerStartsLogger(l.svc)) this.input(logger, { type: "up" });
  }

  #exited(e: Entry, pid: number, wstatus: number): void {
    this.reaps++;
    this.svReaps++;
    if (e.pid !== pid || this.#services.get(e.svc.name) !== e) return;
    e.pid = null;
    this.#guard(e.svc.name, () => this.#feed(e, { type: "exit", wstatus }));
  }

  #armTimer(e: Entry): void {
    const at = e.svc.deadline;
    if (at === e.timerAt) return;
    clearTimeout(e.timer);
    e.timerAt = at;
    e.timer = at === null ? undefined : setTimeout(() => {
      e.timerAt = null;
      e.timer = undefined;
      this.input(e.svc.name, { type: "timer" });
    }, Math.max(0, at - this.now()));
  }

  // --- loggers -------------------------------------------------------------

  /**
   * The logger a process of `e` (null: SYS) writes into, made to exist;
   * null for nitro's own stdout (also when the logger does not exist).
   */
  #logTarget(
    e: Entry | null,
    entries: Entries | null = e === null ? null : this.#entries.of(e.dir),
  ): string | null {
    const name = e?.svc.name ?? SYS;
    const logger = this.#wiring.loggerName(
      { name, param: e?.svc.param ?? null, dir: e?.dir ?? join(this.dir, SYS) },
      this.#services.has("LOG"),
      entries,
    );
    if (logger === null || logger === name || this.ensureInstance(logger)) {
      return logger;
    }
    this.#say(`${name}: log service ${logger} does not exist`);
    return null;
  }

  // --- the table -----------------------------------------------------------

  #add(f: FoundService, onDisk: boolean): void {
    const entries = this.#entries.of(f.dir);
    const svc = newService(
      f.name,
      f.param,
      probeFacts(f.dir, entries),
      this.now(),
    );
    this.#services.set(f.name, {
      svc,
      dir: f.dir,
      pid: null,
      group: null,
      timer: undefined,
      timerAt: null,
      logger: null,
      onDisk,
      removed: false,
      entries,
    });
  }

  #forget(e: Entry): void {
    clearTimeout(e.timer);
    this.#services.delete(e.svc.name);
    this.directories.forget(e.svc.name);
    this.#wiring.pipes.drop(e.svc.name);
  }

  #forgetIfDone(e: Entry): void {
    if (e.removed && e.svc.running === null && e.svc.state === "DOWN") {
      this.#forget(e);
    }
  }

  // --- events and output ---------------------------------------------------

  /** Publish a state change made at `now` (the core's clock, not later). */
  #publish(e: Entry, state: State, now: number): void {
    this.#emit({ name: e.svc.name, state, pid: e.pid, time: Math.round(now) });
  }

  #emit(event: ServiceEvent): void {
    this.history.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** SYS enters `state`; it is listed only while one of its scripts runs. */
  #setSys(state: State): void {
    const pid = this.#sys?.pid ?? null;
    this.#sys = state === "DOWN" ? null : { state, pid, since: this.now() };
    this.#emit({ name: SYS, state, pid, time: Math.round(this.now()) });
  }

  #say(text: string): void {
    this.#opts.log(`- nitro: ${text}`);
  }

  /** Raw console output (a line in two parts, as nitro prints it). */
  #write(text: string): void {
    this.#opts.log(text, { raw: true });
  }

  /** Run `work`; a bug in it is reported, and supervision goes on. */
  #guard(during: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.#internal(during, err);
    }
  }

  #internal(during: string, err: unknown): void {
    const text = err instanceof Error ? err.stack ?? err.message : String(err);
    this.#say(`internal error (${during}): ${text}`);
  }
}

/** Whether a service has stopped for good: DOWN or FATAL, nothing running. */
function stopped(e: Entry): boolean {
  return e.svc.running === null &&
    (e.svc.state === "DOWN" || e.svc.state === "FATAL");
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
