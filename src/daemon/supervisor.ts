/**
 * The supervisor: the effectful shell around the pure service machine. It
 * owns the table of services, carries out the machine's effects (processes,
 * signals, one timer per service), feeds back what happened (exits,
 * readiness, deadlines) and drives the system lifecycle: boot, rescan,
 * shutdown and reboot.
 *
 * @module
 */

import { join } from "node:path";
import type { Readable } from "node:stream";
import type { ServiceEvent, SignalName, State } from "../protocol.ts";
import { step } from "../core/machine.ts";
import {
  type Effect,
  type Input,
  newService,
  type Service,
} from "../core/service.ts";
import { loggerOf, stoppable } from "../core/logging.ts";
import { isTemplate, splitInstance } from "../config/names.ts";
import {
  hasDownFile,
  isExecutable,
  probeFacts,
  readLogLink,
  scanServiceDir,
} from "../config/scan.ts";
import { Ring } from "./history.ts";
import { LogPipes } from "./pipes.ts";
import { type SpawnRequest, spawnScript } from "./spawn.ts";

/** How many events the history keeps. */
export const HISTORY_SIZE = 1000;
/** Limit for SYS/finish and SYS/final, in milliseconds (spec §3). */
const SYSTEM_SCRIPT_LIMIT_MS = 30_000;
/** Name of the system pseudo-service. */
const SYS = "SYS";
/** PATH given to scripts when nitro has none. */
const DEFAULT_PATH =
  "/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin";

/** What the end of the system lifecycle asks for. */
export type EndMode = "shutdown" | "reboot";

/** Hooks the pid-1 layer plugs in; absent outside pid 1. */
export interface SystemHooks {
  /** Kill every remaining process (pid 1 only), before SYS/final. */
  killAll?: () => Promise<void>;
}

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** The service directory. */
  dir: string;
  /** A private directory for log pipes. */
  runDir: string;
  /** Prints one diagnostic line (to nitro's stderr). */
  log: (line: string) => void;
  /** Whether nitro's own stdout and stderr can be handed to children. */
  stdio: { stdout: boolean; stderr: boolean };
  hooks?: SystemHooks;
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
  /** Logger the current process writes into. */
  logger: string | null;
  /** Found on disk by the last scan (not only created in memory). */
  onDisk: boolean;
  /** Gone from disk: dropped once DOWN. */
  removed: boolean;
  notify: Readable | null;
}

type Phase = "booting" | "running" | "stopping" | "stopped";

/** Where a wait stands for one service. */
export type WaitVerdict = "ok" | "fail" | "pending";

/** The supervisor of one service directory. */
export class Supervisor {
  readonly dir: string;
  readonly history: Ring<ServiceEvent> = new Ring(HISTORY_SIZE);
  /** Processes that ended and were collected. */
  reaps = 0;
  #opts: SupervisorOptions;
  #services = new Map<string, Entry>();
  #templates = new Map<string, string>();
  #listeners = new Set<(e: ServiceEvent) => void>();
  #pipes: LogPipes;
  #t0 = performance.now();
  #phase: Phase = "stopped";
  /** Counts boots, so a boot overtaken by a reboot does not go on. */
  #boots = 0;
  #mode: EndMode = "shutdown";
  #stage: "finish" | "services" | "final" = "finish";
  #ended: (mode: EndMode) => void = () => {};
  #sys: { state: State; pid: number | null; since: number } | null = null;
  #env: Record<string, string>;
  /** Services some service logs into, as of the last scan. */
  #loggers = new Set<string>();

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.dir = opts.dir;
    this.#pipes = new LogPipes(opts.runDir);
    this.#env = Deno.env.toObject();
    this.#env.PATH ??= DEFAULT_PATH;
  }

  /** Monotonic milliseconds since this supervisor was made. */
  now(): number {
    return performance.now() - this.#t0;
  }

  /** Whether the system is going down (requests to start are refused). */
  get stopping(): boolean {
    return this.#phase === "stopping" || this.#phase === "stopped";
  }

  /**
   * Boot: SYS/setup, then every service without `down`, LOG first.
   * Resolves when the system has ended, with how it ended.
   */
  run(): Promise<EndMode> {
    const ended = new Promise<EndMode>((resolve) => this.#ended = resolve);
    this.#boot().catch((err) => this.#internal("boot", err));
    return ended;
  }

  async #boot(): Promise<void> {
    const boot = ++this.#boots;
    this.#phase = "booting";
    this.#stage = "finish";
    this.#pipes.init();
    this.#services.clear();
    this.rescan({ start: false });
    const setup = join(this.dir, SYS, "setup");
    if (isExecutable(setup)) {
      this.#setSys("SETUP", null);
      await this.#runSystemScript(setup, [], null);
      // Rebooted or shut down during SYS/setup: this boot is over.
      if (boot !== this.#boots || this.#phase !== "booting") return;
      this.#setSys("ONESHOT", null);
    }
    this.#phase = "running";
    const names = [...this.#services.keys()].sort((a, b) =>
      a === "LOG" ? -1 : b === "LOG" ? 1 : 0
    );
    for (const name of names) {
      const e = this.#services.get(name)!;
      if (e.onDisk && !hasDownFile(e.dir)) this.input(name, { type: "up" });
    }
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
  status(name: string): {
    state: State;
    pid: number | null;
    wstatus: number;
    since: number;
    wantUp: boolean;
  } | null {
    if (name === SYS && this.#sys) {
      return { ...this.#sys, wstatus: 0, wantUp: false };
    }
    const e = this.#services.get(name);
    if (!e) return null;
    const { state, since, wstatus, wantUp } = e.svc;
    return { state, pid: e.pid, wstatus, since, wantUp };
  }

  /** The service whose scripts live in `dir` (a real path), if one does. */
  byDirectory(dir: string, hint: string | undefined): string | null {
    const matches = [...this.#services.values()].filter((e) => {
      try {
        return Deno.realPathSync(e.dir) === dir;
      } catch {
        return false;
      }
    }).map((e) => e.svc.name);
    if (hint !== undefined && matches.includes(hint)) return hint;
    if (matches.length === 1) return matches[0];
    const plain = matches.find((m) => splitInstance(m) === null);
    return plain ?? null;
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
    this.#add(name, dir, inst.param, false);
    return true;
  }

  /** Feed one input to a service (ignored for unknown names and SYS). */
  input(name: string, first: Input): void {
    const e = this.#services.get(name);
    if (!e) return;
    if (this.stopping && (first.type === "up" || first.type === "restart")) {
      return;
    }
    const queue: Input[] = [first];
    while (queue.length > 0) {
      const input = queue.shift()!;
      const before = e.svc.state;
      if (input.type !== "ready" && input.type !== "spawn-failed") {
        e.svc = { ...e.svc, facts: probeFacts(e.dir) };
      }
      const { service, effects } = step(e.svc, input, this.now());
      e.svc = service;
      for (const effect of effects) {
        const failure = this.#carryOut(e, effect);
        if (failure !== null) queue.push(failure);
      }
      this.#armTimer(e);
      if (e.svc.state !== before) this.#changed(e);
    }
  }

  /** Deliver `signal` to a service's current process; false if none. */
  signal(name: string, signal: SignalName): boolean {
    const pid = this.status(name)?.pid ?? null;
    return pid !== null && kill(pid, signal);
  }

  /**
   * Re-read the service directory: add new services (and start them unless
   * they have `down`), stop services whose directory is gone, and drop
   * DOWN instances nothing refers to any more.
   */
  rescan(opts: { start: boolean } = { start: true }): void {
    let found;
    try {
      found = scanServiceDir(this.dir);
    } catch (err) {
      this.#opts.log(`nitro: cannot scan ${this.dir}: ${message(err)}`);
      return;
    }
    for (const line of found.ignored) this.#opts.log(`nitro: ignoring ${line}`);
    this.#templates = found.templates;
    for (const f of found.services.values()) {
      if (f.name === SYS) continue;
      const e = this.#services.get(f.name);
      if (e) {
        e.onDisk = true;
        e.removed = false;
        e.dir = f.dir;
        continue;
      }
      this.#add(f.name, f.dir, f.param, true);
      // During SYS/setup new services wait, like the others, for its end.
      if (opts.start && this.#phase === "running" && !hasDownFile(f.dir)) {
        this.input(f.name, { type: "up" });
      }
    }
    // Logger instances are listed (DOWN) as soon as a service refers to them.
    const referenced = new Set<string>();
    for (const e of [...this.#services.values()]) {
      const logger = this.#loggerOf(e);
      if (logger === null) continue;
      referenced.add(logger);
      this.ensureInstance(logger);
    }
    this.#loggers = referenced;
    for (const [name, e] of [...this.#services]) {
      const templateGone = e.svc.param !== null && !e.onDisk &&
        !this.#templates.has(splitInstance(name)!.template);
      const gone = (e.onDisk && !found.services.has(name)) || templateGone;
      if (gone) {
        e.removed = true;
        e.onDisk = false;
        this.input(name, { type: "down" });
        this.#dropIfDone(e);
      } else if (
        !e.onDisk && e.svc.state === "DOWN" && !referenced.has(name)
      ) {
        this.#drop(e);
      }
    }
  }

  /** Begin the end: SYS/finish, services down in order, SYS/final. */
  async end(mode: EndMode): Promise<void> {
    if (this.stopping) return;
    this.#phase = "stopping";
    this.#mode = mode;
    this.#stage = "finish";
    // A SYS/setup still running (the end came during boot) is stopped too.
    const setupPid = this.#sys?.state === "SETUP" ? this.#sys.pid : null;
    if (setupPid !== null) kill(-setupPid, "SIGTERM");
    const finish = join(this.dir, SYS, "finish");
    if (isExecutable(finish)) {
      this.#setSys("SHUTDOWN", null);
      await this.#runSystemScript(
        finish,
        ["0", "0", mode],
        SYSTEM_SCRIPT_LIMIT_MS,
      );
    }
    this.#stage = "services";
    for (const e of this.#services.values()) e.svc.wantUp = false;
    this.#progressShutdown();
  }

  /** During shutdown: stop whatever may stop now; finish when all are. */
  #progressShutdown(): void {
    if (this.#phase !== "stopping" || this.#stage !== "services") return;
    const entries = [...this.#services.values()];
    const candidates = entries.map((e) => {
      const stopped = e.svc.running === null &&
        (e.svc.state === "DOWN" || e.svc.state === "FATAL");
      // Not stopped yet, it may still write (a one-shot's finish will).
      return { name: e.svc.name, stopped, logger: stopped ? null : e.logger };
    });
    if (candidates.every((c) => c.stopped)) {
      this.#stage = "final";
      this.#final().catch((err) => this.#internal("shutdown", err));
      return;
    }
    for (const name of stoppable(candidates)) {
      const state = this.#services.get(name)!.svc.state;
      if (state !== "SHUTDOWN") this.input(name, { type: "down" });
    }
  }

  async #final(): Promise<void> {
    await this.#opts.hooks?.killAll?.();
    const final = join(this.dir, SYS, "final");
    if (isExecutable(final)) {
      await this.#runSystemScript(final, [this.#mode], SYSTEM_SCRIPT_LIMIT_MS);
    }
    if (this.#sys) this.#setSys("DOWN", null);
    this.#phase = "stopped";
    this.#pipes.closeAll();
    for (const e of this.#services.values()) clearTimeout(e.timer);
    this.#ended(this.#mode);
  }

  /** A bug or an unexpected failure: say so, and keep supervising. */
  #internal(during: string, err: unknown): void {
    this.#opts.log(`nitro: internal error during ${during}: ${message(err)}`);
  }

  #add(name: string, dir: string, param: string | null, onDisk: boolean) {
    const svc = newService(name, param, probeFacts(dir), this.now());
    this.#services.set(name, {
      svc,
      dir,
      pid: null,
      group: null,
      timer: undefined,
      timerAt: null,
      logger: null,
      onDisk,
      removed: false,
      notify: null,
    });
  }

  #drop(e: Entry): void {
    clearTimeout(e.timer);
    this.#services.delete(e.svc.name);
    this.#pipes.drop(e.svc.name);
  }

  #dropIfDone(e: Entry): void {
    if (e.removed && e.svc.running === null && e.svc.state === "DOWN") {
      this.#drop(e);
    }
  }

  /** Carry out one effect; returns the input to feed back on failure. */
  #carryOut(e: Entry, effect: Effect): Input | null {
    switch (effect.type) {
      case "warn":
        this.#opts.log(`nitro: ${effect.message}`);
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
    }
  }

  #spawn(e: Entry, script: string, args: string[]): void {
    const name = e.svc.name;
    const logger = this.#loggerFor(e);
    const stdout: SpawnRequest["stdout"] = logger !== null
      ? { kind: "fifo", path: this.#pipes.ensure(logger) }
      : this.#opts.stdio.stdout
      ? { kind: "inherit" }
      : { kind: "null" };
    // A logger reads its pipe even when it starts before its writers.
    const isLogger = this.#pipes.has(name) || this.#loggers.has(name) ||
      name === "LOG" || name.startsWith("LOG@");
    const stdin: SpawnRequest["stdin"] = isLogger
      ? { kind: "fifo", path: this.#pipes.ensure(name) }
      : { kind: "null" };
    const readiness = e.svc.facts.readiness;
    const notifyFd = script === "run" && readiness.kind === "fd"
      ? readiness.fd
      : null;
    const spawned = spawnScript({
      command: join(e.dir, script),
      args,
      cwd: e.dir,
      env: { ...this.#env, NITRO_SERVICE: name },
      stdin,
      stdout,
      stderrInherit: this.#opts.stdio.stderr,
      notifyFd,
    });
    e.pid = spawned.pid;
    e.group = spawned.pid; // Every script starts a session of its own.
    e.logger = logger;
    e.notify = spawned.notify;
    if (spawned.notify) this.#watchReadiness(e, spawned.notify);
    spawned.exited.then((wstatus) => this.#exited(e, spawned.pid, wstatus));
    // A logger starts with the first service that writes into it.
    if (logger !== null && logger !== name) this.#startLogger(logger);
  }

  #startLogger(logger: string): void {
    if (this.stopping || !this.ensureInstance(logger)) return;
    const e = this.#services.get(logger)!;
    if (!e.svc.wantUp && (e.svc.state === "DOWN")) {
      this.input(logger, { type: "up" });
    }
  }

  /** The logger the next process of `e` writes into. */
  #loggerFor(e: Entry): string | null {
    const logger = this.#loggerOf(e);
    if (logger === null || logger === e.svc.name) return logger;
    if (!this.ensureInstance(logger)) {
      this.#opts.log(
        `nitro: ${e.svc.name}: log service ${logger} does not exist`,
      );
      return null;
    }
    return logger;
  }

  #loggerOf(e: Entry): string | null {
    return loggerOf({
      name: e.svc.name,
      param: e.svc.param,
      link: readLogLink(e.dir),
      hasLogTemplate: this.#templates.has("LOG@"),
      hasLog: this.#services.has("LOG"),
    });
  }

  #watchReadiness(e: Entry, stream: Readable): void {
    stream.on("data", (chunk: Uint8Array) => {
      if (!chunk.includes(10)) return; // Only a newline means ready.
      stream.destroy();
      if (e.notify === stream) {
        e.notify = null;
        this.input(e.svc.name, { type: "ready" });
      }
    });
    stream.on("error", () => stream.destroy());
  }

  #exited(e: Entry, pid: number, wstatus: number): void {
    this.reaps++;
    if (e.pid !== pid || this.#services.get(e.svc.name) !== e) return;
    e.pid = null;
    e.notify?.destroy();
    e.notify = null;
    this.input(e.svc.name, { type: "exit", wstatus });
    this.#dropIfDone(e);
    this.#progressShutdown();
  }

  #armTimer(e: Entry): void {
    const at = e.svc.deadline;
    if (at === e.timerAt) return;
    clearTimeout(e.timer);
    e.timerAt = at;
    e.timer = at === null ? undefined : setTimeout(() => {
      e.timerAt = null;
      this.input(e.svc.name, { type: "timer" });
    }, Math.max(0, at - this.now()));
  }

  #changed(e: Entry): void {
    this.#emit({
      name: e.svc.name,
      state: e.svc.state,
      pid: e.pid,
      time: Math.round(this.now()),
    });
    if (e.svc.state === "DOWN" || e.svc.state === "FATAL") {
      this.#dropIfDone(e);
      this.#progressShutdown();
    }
  }

  #emit(event: ServiceEvent): void {
    this.history.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  #setSys(state: State, pid: number | null): void {
    this.#sys = { state, pid, since: this.now() };
    this.#emit({ name: SYS, state, pid, time: Math.round(this.now()) });
  }

  /** Run a SYS script to its end (killed after `limit` ms, if given). */
  async #runSystemScript(
    path: string,
    args: string[],
    limit: number | null,
  ): Promise<void> {
    let spawned;
    try {
      spawned = spawnScript({
        command: path,
        args,
        cwd: join(this.dir, SYS),
        env: { ...this.#env, NITRO_SERVICE: SYS },
        stdin: { kind: "null" },
        stdout: this.#opts.stdio.stdout
          ? { kind: "inherit" }
          : { kind: "null" },
        stderrInherit: this.#opts.stdio.stderr,
        notifyFd: null,
      });
    } catch (err) {
      this.#opts.log(`nitro: ${path}: ${message(err)}`);
      return;
    }
    if (this.#sys) this.#sys.pid = spawned.pid;
    const timer = limit === null ? undefined : setTimeout(() => {
      this.#opts.log(`nitro: ${path} ran over ${limit / 1000}s, killing it`);
      kill(-spawned.pid, "SIGKILL");
    }, limit);
    await spawned.exited;
    this.reaps++;
    clearTimeout(timer);
    if (this.#sys) this.#sys.pid = null;
  }
}

/** Signal a process (or, negative, a group); false if it is gone. */
function kill(target: number, signal: SignalName | Deno.Signal): boolean {
  try {
    Deno.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
