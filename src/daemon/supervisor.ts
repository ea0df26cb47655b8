/**
 * The supervisor: the shell around the service core. It owns the table of
 * services and carries out what the core decides - the service machine's
 * effects (processes, signals, one timer per service) and the rescan plan -
 * and feeds back what happened (exits, readiness, deadlines). Everything it
 * does to the world goes through its {@link Host}; the system lifecycle
 * (boot, end, SYS scripts) is the system shell's, which drives this one.
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
  type Readiness,
  type Service,
} from "../core/service.ts";
import { writerStartsLogger } from "../core/logging.ts";
import { planRescan } from "../core/rescan.ts";
import {
  admits,
  bootOrder,
  type EndMode,
  isEnding,
  type ServiceAtEnd,
  startsNewServices,
  type System,
} from "../core/system.ts";
import {
  isTemplate,
  LOG,
  LOG_TEMPLATE,
  splitInstance,
  SYS,
} from "../config/names.ts";
import {
  DIRECTORY_GONE,
  downSignal,
  type Entries,
  type FoundService,
  hasEntry,
  type OptionName,
  readiness,
} from "../config/scan.ts";
import { message } from "../errors.ts";
import type { EventHistory } from "./history.ts";
import { serviceEventHistory } from "./event_ring.ts";
import { DirectoryIndex } from "./dir_index.ts";
import { type Cancel, guard, type Host } from "./host.ts";
import { LogWiring } from "./log_wiring.ts";
import type { Stream } from "./spawn.ts";
import { spawnFailure } from "./spawn_error.ts";

export type { EndMode };

/** How many recent events the history keeps (besides those of the boot). */
export const HISTORY_SIZE = 1000;
/** Services started at boot before nitro looks at its event loop again. */
export const START_BATCH = 16;

/** Whether nitro's own stdout and stderr can be handed to children. */
export interface Stdio {
  stdout: boolean;
  stderr: boolean;
}

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** The service directory, absolute. */
  dir: string;
  host: Host;
  stdio: Stdio;
  /** Where the system stands (the system shell's state). */
  system: () => System;
  /** A service stopped for good (the end waits for every one). */
  stopped?: () => void;
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
  /** null for a one-shot (no `run`): nothing to be ready. */
  readiness: "timer" | "manual" | number | null;
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
  timer: Cancel | undefined;
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
  readonly directories: DirectoryIndex;
  /** Processes that ended and were collected (orphans too, as pid 1). */
  reaps = 0;
  /** Service processes (scripts nitro started) that ended. */
  svReaps = 0;
  /** Monotonic time the current boot began. */
  bootTime = 0;
  #opts: SupervisorOptions;
  #host: Host;
  #services = new Map<string, Entry>();
  #templates = new Map<string, string>();
  #wiring: LogWiring;
  #listeners = new Set<(e: ServiceEvent) => void>();
  /** SYS while one of its scripts runs (listed), else null. */
  #sys: { state: State; pid: number | null; since: number } | null = null;
  /** Loggers some other service writes into (see #autoUp). */
  #loggersOfOthers: ReadonlySet<string> = new Set();
  /** Counts boots: work of an earlier boot reports to nobody. */
  #boots = 0;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#host = opts.host;
    this.directories = new DirectoryIndex((path) => opts.host.tree.stat(path));
    this.dir = opts.dir;
    this.#wiring = new LogWiring(opts.host, { stdout: opts.stdio.stdout });
  }

  /** Monotonic milliseconds since nitro started. */
  now(): number {
    return this.#host.clock.now();
  }

  /** Whether the system is going down (requests to start are refused). */
  get stopping(): boolean {
    return isEnding(this.#opts.system());
  }

  /** The current boot (1 for the first); work of an earlier one is void. */
  get boot(): number {
    return this.#boots;
  }

  /** A new boot: forget every service, then scan the directory afresh. */
  reset(): void {
    this.#boots++;
    this.bootTime = Math.round(this.now());
    this.history.startBoot();
    for (const e of this.#services.values()) e.timer?.();
    this.#services.clear();
    // What it finds starts with the boot's start-services, in boot order.
    this.rescan({ start: false });
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

  /** State, run's pid, last wait status and time of the last change. */
  status(name: string): ServiceSnapshot | null {
    if (name === SYS && this.#sys) {
      return { ...this.#sys, wstatus: 0, wantUp: false };
    }
    const e = this.#services.get(name);
    if (!e) return null;
    const { state, since, wantUp } = e.svc;
    // A start that failed for good has wait status -1, as C nitro lists it.
    const wstatus = state === "FATAL" ? -1 : e.svc.wstatus;
    // The pid is run's, as in C nitro: a running setup or finish has none
    // to list, check or signal.
    const pid = e.svc.running === "run" ? e.pid : null;
    return { state, pid, wstatus, since, wantUp };
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
      logger: e.pid !== null ? e.logger : this.#loggerIfAny(e),
      readiness: !s.facts.hasRun ? null : r.kind === "fd" ? r.fd : r.kind,
      reason: s.reason,
    };
  }

  /**
   * Make `NAME@PARAM` an in-memory instance when its template exists with
   * a `run` or a `setup`. Returns whether the service exists now.
   */
  ensureInstance(name: string): boolean {
    if (this.#services.has(name)) return true;
    const inst = splitInstance(name);
    if (inst === null && this.#isEmptyDirectory(join(this.dir, name))) {
      this.#say(`no such service: ${name}`);
    }
    if (inst === null || isTemplate(name)) return false;
    const dir = this.#templates.get(inst.template);
    if (dir === undefined) return false;
    // A template without `run` or `setup` makes no instance (C nitro says so).
    if (this.#isEmptyDirectory(dir)) {
      this.#say(`no such service: ${name}`);
      return false;
    }
    this.#add({ name, dir, param: inst.param }, { onDisk: false });
    this.directories.update([[name, dir]]);
    return true;
  }

  /** Feed one input to a service (ignored for unknown names and SYS). */
  input(name: string, first: Input): void {
    const e = this.#services.get(name);
    if (!e) return;
    if (!admits(this.#opts.system(), first)) return;
    guard(this.#host.console, name, () => this.#feed(e, first));
  }

  /**
   * A client's request (up, down, restart, ready): fed as {@link input},
   * then the state it left the service in is announced, changed or not,
   * as C nitro answers every request.
   */
  request(name: string, input: Input): void {
    this.input(name, input);
    const e = this.#services.get(name);
    if (e) {
      const state = e.svc.state;
      this.#publish(e, state, this.now(), state);
    }
  }

  /** Deliver `signal` to a service's current process; false if none. */
  signal(name: string, signal: SignalName): boolean {
    const pid = this.status(name)?.pid ?? null;
    return pid !== null && this.#host.processes.signal(pid, signal);
  }

  /**
   * Re-read the service directory and carry out the core's plan: add new
   * services (brought up unless `down` or during SYS/setup), bring down and
   * forget those gone, forget DOWN instances nothing refers to.
   */
  rescan({ start = true }: { start?: boolean } = {}): void {
    // The entry cache stays: it checks each directory's identity and mtime,
    // so a directory gone or back in another shape is listed again, and the
    // rest cost one stat instead of a listing each.
    let found;
    try {
      found = this.#host.tree.scan(this.dir);
    } catch (err) {
      this.#say(`cannot scan ${this.dir}: ${message(err)}`);
      return;
    }
    for (const line of found.ignored) this.#say(`ignoring ${line}`);
    found.services.delete(SYS);
    // A directory new to nitro is a service only with a `run` or `setup`
    // (its template's, for an instance); C nitro says so at every look.
    for (const [name, f] of found.services) {
      if (this.#services.has(name) || this.#isService(f.dir)) continue;
      found.services.delete(name);
      this.#say(`no such service: ${name}`);
    }
    this.#templates = found.templates;
    this.#wiring.hasLogTemplate = found.templates.has(LOG_TEMPLATE);
    const hasLog = found.services.has(LOG);
    const loggers = new Set<string>();
    const ofOthers = new Set<string>();
    const refer = (name: string, param: string | null, dir: string) => {
      // With the listing, a service without a `log` link costs no readlink
      // (a failing one per service made a rescan of 10,000 slow).
      const logger = this.#wiring.loggerName({ name, param, dir }, {
        hasLog,
        entries: this.#host.tree.entries(dir),
      });
      if (logger !== null) loggers.add(logger);
      if (logger !== null && logger !== name) ofOthers.add(logger);
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
    for (const f of plan.add) this.#add(f, { onDisk: true });
    this.#wiring.loggers = loggers;
    this.#loggersOfOthers = ofOthers;
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
    if (!start || !startsNewServices(this.#opts.system())) return;
    for (const f of plan.add) this.#autoUp(f.name);
  }

  /**
   * Bring a service up by itself (boot, rescan), unless it is a logger of
   * others, other than LOG: that one starts with the first service that
   * writes into it (as C nitro, which meets writers first), so a `down`
   * writer does not start its logger.
   */
  #autoUp(name: string): void {
    if (name !== LOG && this.#loggersOfOthers.has(name)) return;
    this.input(name, { type: "auto-up" });
  }

  // --- for the system shell ----------------------------------------------

  /**
   * Bring up every service on disk, LOG first, {@link START_BATCH} at a
   * time: between batches the event loop serves clients, readiness pipes
   * and exits, so a boot of thousands of services does not make nitro deaf
   * for its duration.
   */
  startAll(): void {
    const names = bootOrder(this.#services.keys()).filter((name) =>
      this.#services.get(name)?.onDisk
    );
    const boot = this.#boots;
    const batch = (from: number) => {
      if (boot !== this.#boots) return; // Rebooted meanwhile.
      const to = Math.min(names.length, from + START_BATCH);
      for (let i = from; i < to; i++) {
        this.#autoUp(names[i]);
      }
      if (to < names.length) this.#host.clock.after(0, () => batch(to));
    };
    batch(0);
  }

  /** Every service as the end sees it, and who logs into whom. */
  atEnd(): { services: ServiceAtEnd[]; loggers: ReadonlySet<string> } {
    const services = [...this.#services.values()].map((e) => {
      const done = stopped(e);
      return {
        name: e.svc.name,
        stopped: done,
        // Not stopped yet, it may still write (a one-shot's finish will).
        logger: done ? null : e.logger,
        // A one-shot taken down runs its finish in ONESHOT.
        stopping: e.svc.state === "SHUTDOWN" ||
          (e.svc.state === "ONESHOT" && e.svc.running === "finish"),
        instant: e.svc.running === null &&
          !(e.svc.state === "ONESHOT" && e.svc.facts.hasFinish),
      };
    });
    return { services, loggers: this.#wiring.loggers };
  }

  /**
   * Bring `name` down at the end: its down signal, or for a logger whose
   * writers have all ended, a drain (it reads its pipe to the end).
   */
  stop(name: string, input: "down" | "drain"): void {
    if (input === "drain") this.#wiring.pipes.release(name);
    this.input(name, { type: input });
  }

  /** The end is complete: close the pipes, stop the timers. */
  ended(): void {
    this.#wiring.pipes.closeAll();
    for (const e of this.#services.values()) e.timer?.();
    if (this.#sys) this.setSys("DOWN");
  }

  /** Where a SYS script's stdout goes: SYS/finish writes into LOG. */
  sysStdout(script: string): Stream {
    return this.#wiring.stdout(
      script === "finish" ? this.#logTarget(null) : null,
    );
  }

  /** SYS enters `state`; it is listed only while one of its scripts runs. */
  setSys(state: State): void {
    const pid = this.#sys?.pid ?? null;
    this.#sys = state === "DOWN" ? null : { state, pid, since: this.now() };
    const time = Math.round(this.now());
    this.#emit({ name: SYS, state, notice: null, pid, time });
  }

  /** Announce SYS as `notice`, as C nitro does, whatever its state. */
  announceSys(notice: State): void {
    const { state, pid } = this.#sys ?? { state: "DOWN" as const, pid: null };
    const time = Math.round(this.now());
    // Not kept in the history: SYS's changes are, and a boot's timeline
    // reads them as they came.
    this.#emit({ name: SYS, state, notice, pid, time }, { kept: false });
  }

  /** The pid of the SYS script running now (null once it ended). */
  setSysPid(pid: number | null): void {
    if (this.#sys) this.#sys.pid = pid;
  }

  /** A process nitro started (a SYS script) was collected. */
  collected(): void {
    this.reaps++;
    this.svReaps++;
  }

  // --- one service ---------------------------------------------------------

  #feed(e: Entry, first: Input): void {
    const queue: Input[] = [first];
    while (queue.length > 0) {
      const input = queue.shift()!;
      if (input.type !== "ready" && input.type !== "spawn-failed") {
        e.entries = this.#host.tree.entries(e.dir);
        // The option files keep what was read last: they are read again
        // only when they matter (`run` starting, the service stopped).
        const { downSignal, readiness } = e.svc.facts;
        e.svc = {
          ...e.svc,
          facts: {
            ...this.#host.tree.facts(e.dir, e.entries),
            downSignal,
            readiness,
          },
        };
      }
      const now = this.now();
      let { service, effects, events } = step(e.svc, input, now);
      if (effects.some((x) => x.type === "spawn" && x.script === "run")) {
        // `run` starts: how it becomes ready is as notification-fd says
        // now. If that changed, decide again (the core is pure).
        const fresh = readiness(this.#option(e, "notification-fd"));
        if (!sameReadiness(fresh, e.svc.facts.readiness)) {
          e.svc = { ...e.svc, facts: { ...e.svc.facts, readiness: fresh } };
          ({ service, effects, events } = step(e.svc, input, now));
        }
      }
      e.svc = service;
      let next = 0;
      // A `run` that could not start was never STARTING, on the wire.
      let silenced = false;
      for (let i = 0; i <= effects.length; i++) {
        while (next < events.length && events[next].at === i) {
          const { state, notice } = events[next++];
          this.#publish(e, state, now, silenced ? null : notice);
        }
        if (i === effects.length) break;
        const effect = effects[i];
        const failure = this.#carryOut(e, effect);
        if (failure === null) continue;
        queue.push(failure);
        if (effect.type === "spawn" && effect.script === "run") {
          silenced = true;
        }
      }
      this.#armTimer(e);
    }
    if (stopped(e)) {
      this.#forgetIfDone(e);
      this.#opts.stopped?.();
    }
  }

  /** Carry out one effect; returns the input to feed back on failure. */
  #carryOut(e: Entry, effect: Effect): Input | null {
    switch (effect.type) {
      case "warn":
        this.#say(effect.message);
        return null;
      case "signal": {
        const target = effect.group ? -(e.pid ?? e.group ?? 0) : e.pid;
        let signal = effect.signal;
        if (effect.down) {
          // As C nitro: down-signal is read when the service is stopped.
          signal = downSignal(this.#option(e, "down-signal"));
          e.svc = { ...e.svc, facts: { ...e.svc.facts, downSignal: signal } };
        }
        // Gone already? Its exit is on the way.
        if (target) this.#host.processes.signal(target, signal);
        return null;
      }
      case "spawn":
        try {
          this.#spawn(e, effect.script, effect.args);
          return null;
        } catch (err) {
          return spawnFailure(err);
        }
      default:
        impossible("effect", effect);
    }
  }

  /**
   * The text of the option file `name` of `e`, read now; a refused file is
   * said on the console and counts as absent.
   */
  #option(e: Entry, name: OptionName): string | null {
    const { text, problem } = this.#host.tree.option(e.dir, name, e.entries);
    if (problem !== null) {
      this.#say(`${e.svc.name}: ${name}: ${problem}; ignored`);
    }
    return text;
  }

  #spawn(e: Entry, script: string, args: string[]): void {
    const name = e.svc.name;
    const logger = this.#logTarget(e, e.entries);
    const readiness = e.svc.facts.readiness;
    const notifyFd = script === "run" && readiness.kind === "fd"
      ? readiness.fd
      : null;
    const pid = this.#host.processes.start({
      command: join(e.dir, script),
      args,
      cwd: e.dir,
      env: { ...this.#host.env, NITRO_SERVICE: name },
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
    this.#host.running?.started(name, pid);
    e.logger = logger;
    if (logger === null || logger === name) return;
    // A logger starts with the first service that writes into it.
    const l = this.#services.get(logger);
    if (l && writerStartsLogger(l.svc)) this.input(logger, { type: "up" });
  }

  #exited(e: Entry, pid: number, wstatus: number): void {
    this.reaps++;
    this.svReaps++;
    if (e.pid === pid) this.#host.running?.ended(e.svc.name);
    if (e.pid !== pid || this.#services.get(e.svc.name) !== e) return;
    e.pid = null;
    guard(
      this.#host.console,
      e.svc.name,
      () => this.#feed(e, { type: "exit", wstatus }),
    );
  }

  #armTimer(e: Entry): void {
    const at = e.svc.deadline;
    if (at === e.timerAt) return;
    e.timer?.();
    e.timerAt = at;
    e.timer = at === null ? undefined : this.#host.clock.after(
      at - this.now(),
      () => {
        e.timerAt = null;
        e.timer = undefined;
        this.input(e.svc.name, { type: "timer" });
      },
    );
  }

  // --- loggers -------------------------------------------------------------

  /**
   * The logger a process of `e` (null: SYS) writes into, made to exist;
   * null for nitro's own stdout (also when the logger does not exist).
   */
  #logTarget(
    e: Entry | null,
    entries: Entries | null = e === null
      ? null
      : this.#host.tree.entries(e.dir),
  ): string | null {
    const name = e?.svc.name ?? SYS;
    const logger = this.#wiring.loggerName(
      { name, param: e?.svc.param ?? null, dir: e?.dir ?? join(this.dir, SYS) },
      { hasLog: this.#services.has(LOG), entries },
    );
    if (logger === null || logger === name || this.ensureInstance(logger)) {
      return logger;
    }
    this.#say(`${name}: log service ${logger} does not exist`);
    return null;
  }

  /**
   * The logger the next process of `e` would write into, if it exists or
   * could (an instance of an existing template); a pure read, for queries:
   * nothing is made, nothing said.
   */
  #loggerIfAny(e: Entry): string | null {
    const logger = this.#wiring.loggerName(
      { name: e.svc.name, param: e.svc.param, dir: e.dir },
      {
        hasLog: this.#services.has(LOG),
        entries: this.#host.tree.entries(e.dir),
      },
    );
    if (logger === null || this.#services.has(logger)) return logger;
    const inst = splitInstance(logger);
    return inst !== null && this.#templates.has(inst.template) ? logger : null;
  }

  // --- the table -----------------------------------------------------------

  /** Whether the scripts directory `dir` holds a `run` or a `setup`. */
  #isService(dir: string): boolean {
    const entries = this.#host.tree.entries(dir);
    if (entries === null) {
      // One that cannot be read is FATAL with the cause when started.
      return this.#host.tree.facts(dir, null).unreadable !== DIRECTORY_GONE;
    }
    return hasEntry(entries, "run") || hasEntry(entries, "setup");
  }

  /** Whether `dir` is a directory with neither `run` nor `setup`. */
  #isEmptyDirectory(dir: string): boolean {
    const entries = this.#host.tree.entries(dir);
    return entries !== null && !hasEntry(entries, "run") &&
      !hasEntry(entries, "setup");
  }

  #add(f: FoundService, { onDisk }: { onDisk: boolean }): void {
    const entries = this.#host.tree.entries(f.dir);
    const svc = newService(
      f.name,
      f.param,
      this.#host.tree.facts(f.dir, entries),
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
    e.timer?.();
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

  /**
   * Publish a state change or announcement made at `now` (the core's
   * clock, not later), announced on the wire as `notice` (null: not).
   */
  #publish(e: Entry, state: State, now: number, notice: State | null): void {
    const time = Math.round(now);
    this.#emit({ name: e.svc.name, state, notice, pid: e.pid, time });
  }

  /**
   * The one place events go out: to the history (unless not `kept`), to
   * those following them, and to the notify directory (what C nitro
   * announces).
   */
  #emit(event: ServiceEvent, { kept = true } = {}): void {
    if (kept) this.history.push(event);
    if (event.notice != null) {
      this.#host.notify.announce(event.name, event.notice);
    }
    for (const listener of this.#listeners) listener(event);
  }

  #say(text: string): void {
    this.#host.console.say(`- nitro: ${text}`);
  }
}

/** Whether a service has stopped for good: DOWN or FATAL, nothing running. */
function stopped(e: Entry): boolean {
  return e.svc.running === null &&
    (e.svc.state === "DOWN" || e.svc.state === "FATAL");
}

/** Whether two readiness settings are the same. */
function sameReadiness(a: Readiness, b: Readiness): boolean {
  return a.kind === b.kind &&
    (a.kind !== "fd" || (b.kind === "fd" && a.fd === b.fd));
}
