/**
 * A {@link Host} for in-process tests of the supervisor and the system
 * shell: a virtual clock (time moves only when the test says), processes
 * that exist only as records (they end when the test, or a signal, ends
 * them), an in-memory service directory, log pipes as names, and a console
 * that collects lines.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import type { SignalName, State } from "../../src/protocol.ts";
import {
  classifyServices,
  type Entries,
  ENTRY_NAMES,
  type EntryName,
  factsFrom,
  hasEntry,
  type OptionName,
  type OptionRead,
} from "../../src/config/scan.ts";
import { SYS } from "../../src/config/names.ts";
import { exitedStatus, signaledStatus } from "../../src/core/exit_status.ts";
import type {
  Cancel,
  Clock,
  Console,
  Host,
  LogPipeStore,
  Notifier,
  Processes,
  ServiceTree,
} from "../../src/daemon/host.ts";
import type { SpawnRequest } from "../../src/daemon/spawn.ts";

/** Where the fake service directory lives. */
export const ROOT = "/sv";

// --- the clock ------------------------------------------------------------

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Time that moves only in {@link VirtualClock.advance}. */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  after(ms: number, fire: () => void): Cancel {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fire };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Timers armed and not fired yet. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Move time `ms` forward, firing every timer due on the way in order
   * (those armed meanwhile too); time stands at each while it fires.
   */
  advance(ms = 0): void {
    const until = this.#now + ms;
    while (true) {
      const next = this.#next();
      if (next === null || next.at > until) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fire();
    }
    this.#now = until;
  }

  #next(): Timer | null {
    let best: Timer | null = null;
    for (const t of this.#timers) {
      if (
        best === null || t.at < best.at ||
        (t.at === best.at && t.seq < best.seq)
      ) {
        best = t;
      }
    }
    return best;
  }
}

// --- processes ------------------------------------------------------------

/** A process the fake host "started". */
export interface FakeProcess {
  pid: number;
  /** `web/run`, `SYS/finish`: the last two parts of the command. */
  script: string;
  req: SpawnRequest;
  /** Signals it got, in order; `-SIGKILL`: sent to its process group. */
  signals: string[];
  /** Its wait status once it ended. */
  wstatus: number | null;
  /** When it started and (if it did) ended, on the virtual clock. */
  startedAt: number;
  endedAt: number | null;
}

/**
 * What a process does on a signal: the wait status it dies with (after the
 * current turn), or null to carry on.
 */
export type SignalPolicy = (
  p: FakeProcess,
  signal: SignalName | Deno.Signal,
) => number | null;

/** SIGKILL kills; SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGUSR* too. */
export const DIES_BY_DEFAULT: SignalPolicy = (_p, signal) => {
  const numbers: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGALRM: 14,
    SIGTERM: 15,
  };
  return signal in numbers ? signaledStatus(numbers[signal]) : null;
};

/** Processes as records. */
export class FakeProcesses implements Processes {
  /** Every process ever started, in order. */
  readonly all: FakeProcess[] = [];
  /** What a process does on a signal; tests replace it. */
  policy: SignalPolicy = DIES_BY_DEFAULT;
  #nextPid = 100;
  #onExit = new Map<number, (wstatus: number) => void>();
  #clock: VirtualClock;
  #tree: FakeTree;

  constructor(clock: VirtualClock, tree: FakeTree) {
    this.#clock = clock;
    this.#tree = tree;
  }

  /** Scripts (`web/run`) that fail to start, and why. */
  readonly refuse: Map<string, string> = new Map();

  start(req: SpawnRequest, onExit: (wstatus: number) => void): number {
    if (!this.#tree.isExecutable(req.command)) {
      throw new Error(`${basename(req.command)} is not executable`);
    }
    const why = this.refuse.get(scriptOf(req.command));
    if (why !== undefined) throw new Error(why);
    const pid = this.#nextPid++;
    this.all.push({
      pid,
      script: scriptOf(req.command),
      req,
      signals: [],
      wstatus: null,
      startedAt: this.#clock.now(),
      endedAt: null,
    });
    this.#onExit.set(pid, onExit);
    return pid;
  }

  signal(target: number, signal: SignalName | Deno.Signal): boolean {
    const p = this.all.find((p) => p.pid === Math.abs(target));
    if (p === undefined || p.wstatus !== null) return false;
    p.signals.push(target < 0 ? `-${signal}` : signal);
    const wstatus = this.policy(p, signal);
    // A death is seen later, never inside the call that caused it.
    if (wstatus !== null) this.#clock.after(0, () => this.exit(p.pid, wstatus));
    return true;
  }

  isOurs(pid: number): boolean {
    return this.#onExit.has(pid);
  }

  /** The processes running now. */
  get running(): FakeProcess[] {
    return this.all.filter((p) => p.wstatus === null);
  }

  /** The running process of `script` (`web/run`); throws if none. */
  of(script: string): FakeProcess {
    const p = this.running.find((p) => p.script === script);
    if (p === undefined) {
      const running = this.running.map((p) => p.script).join(", ");
      throw new Error(`${script} is not running (running: ${running})`);
    }
    return p;
  }

  /** Scripts started so far, in order. */
  get started(): string[] {
    return this.all.map((p) => p.script);
  }

  /** End `pid` with `wstatus` (or an exit code, via `{ code }`). */
  exit(pid: number, status: number | { code: number }): void {
    const p = this.all.find((p) => p.pid === pid);
    const onExit = this.#onExit.get(pid);
    if (p === undefined || onExit === undefined) return;
    p.wstatus = typeof status === "number" ? status : exitedStatus(status.code);
    p.endedAt = this.#clock.now();
    this.#onExit.delete(pid);
    onExit(p.wstatus);
  }

  /** `script`'s process writes a newline into its readiness fd. */
  ready(script: string): void {
    const p = this.of(script);
    p.req.onReady?.();
  }
}

/** `web/run` for `/sv/web/run`. */
function scriptOf(command: string): string {
  return join(basename(dirname(command)), basename(command));
}

// --- the service directory --------------------------------------------------

/** What one fake service directory holds. */
export interface FakeDir {
  run?: boolean;
  setup?: boolean;
  finish?: boolean;
  down?: boolean;
  "down-signal"?: string;
  "notification-fd"?: string;
  /** Where the `log` link points (a name). */
  log?: string;
}

/** SYS's scripts that exist. */
export type SysScripts = Partial<
  Record<"setup" | "finish" | "final" | "fatal" | "reincarnate", boolean>
>;

/** An in-memory service directory at {@link ROOT}. */
export class FakeTree implements ServiceTree {
  readonly dirs = new Map<string, FakeDir>();
  sys: SysScripts = {};
  /** Services whose directory cannot be listed, and the error. */
  readonly denied: Map<string, string> = new Map();
  /** Set: the next scan fails with this error. */
  scanError: Error | null = null;

  /** Add (or replace) the service directory `name`. */
  add(name: string, dir: FakeDir = { run: true }): void {
    this.dirs.set(name, dir);
  }

  remove(name: string): void {
    this.dirs.delete(name);
  }

  scan(dir: string): ReturnType<ServiceTree["scan"]> {
    if (this.scanError) throw this.scanError;
    const names = [...this.dirs.keys()];
    if (Object.values(this.sys).some(Boolean)) names.push(SYS);
    return classifyServices(dir, names);
  }

  entries(dir: string): Entries | null {
    const d = this.#dirAt(dir);
    if (d === undefined || this.denied.has(basename(dir))) return null;
    let entries = 0;
    ENTRY_NAMES.forEach((name, i) => {
      if (d[name] !== undefined && d[name] !== false) entries |= 1 << i;
    });
    return entries;
  }

  facts(dir: string, entries: Entries | null) {
    const d = this.#dirAt(dir);
    return factsFrom(entries, {
      isExecutable: (name: EntryName) => d?.[name] === true,
      unreadable: () => this.denied.get(basename(dir)) ?? null,
    });
  }

  /** Every option file read, in order: `web/down-signal`. */
  readonly optionReads: string[] = [];
  /** Option files refused as a real tree would (`web/down-signal`). */
  readonly badOptions: Map<string, string> = new Map();

  option(dir: string, name: OptionName, entries: Entries | null): OptionRead {
    if (entries !== null && !hasEntry(entries, name)) {
      return { text: null, problem: null };
    }
    const key = `${basename(dir)}/${name}`;
    this.optionReads.push(key);
    const problem = this.badOptions.get(key);
    if (problem !== undefined) return { text: null, problem };
    const v = this.#dirAt(dir)?.[name];
    return { text: typeof v === "string" ? v : null, problem: null };
  }

  logLink(dir: string, entries: Entries | null): string | null {
    if (entries !== null && !hasEntry(entries, "log")) return null;
    return this.#dirAt(dir)?.log ?? null;
  }

  isExecutable(path: string): boolean {
    const script = basename(path);
    const name = basename(dirname(path));
    if (name === SYS) return this.sys[script as keyof SysScripts] === true;
    const d = this.dirs.get(name);
    return d !== undefined &&
      (script === "run" || script === "setup" || script === "finish") &&
      d[script] === true;
  }

  /** The fake tree has no files: a path a client names is looked at for real. */
  stat(path: string): Promise<Deno.FileInfo> {
    return Deno.stat(path);
  }

  #dirAt(dir: string): FakeDir | undefined {
    return dirname(dir) === ROOT ? this.dirs.get(basename(dir)) : undefined;
  }
}

// --- pipes and console ------------------------------------------------------

/** Log pipes as names: held, released, or none. */
export class FakePipes implements LogPipeStore {
  readonly held = new Map<string, "held" | "released">();
  /** What was done, in order: `release LOG`, `drop web`. */
  readonly log: string[] = [];

  ensure(logger: string): string {
    if (this.held.get(logger) !== "held") this.held.set(logger, "held");
    return `/run/nitro.sock.d/${logger}`;
  }
  has(logger: string): boolean {
    return this.held.has(logger);
  }
  release(logger: string): void {
    if (this.held.get(logger) !== "held") return;
    this.held.set(logger, "released");
    this.log.push(`release ${logger}`);
  }
  drop(logger: string): void {
    if (!this.held.delete(logger)) return;
    this.log.push(`drop ${logger}`);
  }
  closeAll(): void {
    for (const logger of [...this.held.keys()]) this.drop(logger);
  }
}

/** The console as a list of lines (raw writes joined as nitro prints). */
export class FakeConsole implements Console {
  #text = "";

  say(line: string): void {
    this.#text += `${line}\n`;
  }
  write(text: string): void {
    this.#text += text;
  }
  flush(): Promise<boolean> {
    return Promise.resolve(true);
  }
  /** Every complete line so far. */
  get lines(): string[] {
    return this.#text.split("\n").slice(0, -1);
  }
}

/** What was announced on the wire, as `NAME STATE`, with the time of each. */
export class FakeNotifier implements Notifier {
  readonly sent: { at: number; line: string }[] = [];
  constructor(private readonly clock: Clock) {}
  announce(name: string, state: State): void {
    this.sent.push({ at: this.clock.now(), line: `${name} ${state}` });
  }
  /** The announcements, `NAME STATE` each; emptied with `take`. */
  take(): string[] {
    return this.sent.splice(0).map((s) => s.line);
  }
}

// --- the host ---------------------------------------------------------------

/** A whole fake host; its parts are open for the test to drive and inspect. */
export class FakeHost implements Host {
  readonly clock: VirtualClock = new VirtualClock();
  readonly tree: FakeTree = new FakeTree();
  readonly processes: FakeProcesses = new FakeProcesses(this.clock, this.tree);
  readonly pipes: FakePipes = new FakePipes();
  readonly console: FakeConsole = new FakeConsole();
  readonly notify: FakeNotifier = new FakeNotifier(this.clock);
  readonly env: Record<string, string> = { PATH: "/bin" };
}
