/**
 * Everything the supervisor and the system shell do to the world goes
 * through a {@link Host}: starting and signalling processes, the clock and
 * its timers, looking at service directories, the log FIFOs and the
 * console. The daemon gets {@link realHost}; tests get a fake one on a
 * virtual clock (tests/helpers/fake_host.ts), so the shells' behaviour in
 * time is tested without real processes or real waiting.
 *
 * @module
 */

import type { SignalName, State } from "../protocol.ts";
import type { ServiceFacts } from "../core/service.ts";
import {
  type Entries,
  isExecutable,
  type OptionName,
  type OptionRead,
  probeFacts,
  readLogLink,
  readOption,
  type ScanResult,
  scanServiceDir,
} from "../config/scan.ts";
import { stackOf } from "../errors.ts";
import { Children } from "./children.ts";
import { EntryCache } from "./entry_cache.ts";
import { kill } from "./kill.ts";
import { LogPipes } from "./pipes.ts";
import type { RuntimeDir } from "./runtime_dir.ts";
import { Spawner, type SpawnRequest } from "./spawn.ts";
import type { ThreadReserve } from "./thread_reserve.ts";
import { RunningRecords } from "./survivors.ts";

/** Cancels a timer; calling it again, or after it fired, does nothing. */
export type Cancel = () => void;

/** Monotonic time and timers. */
export interface Clock {
  /** Monotonic milliseconds since the host was made. */
  now(): number;
  /** Call `fire` once, `ms` milliseconds from now. */
  after(ms: number, fire: () => void): Cancel;
}

/** Processes nitro starts and signals. */
export interface Processes {
  /**
   * Start a script; its pid. `onExit` gets its raw wait status once it has
   * ended. Throws an `Error` with a readable message if it cannot start.
   */
  start(req: SpawnRequest, onExit: (wstatus: number) => void): number;
  /**
   * Signal a process (or, negative, a process group). False when it is
   * gone already (its exit is on the way) or not ours to signal.
   */
  signal(target: number, signal: SignalName | Deno.Signal): boolean;
  /** Whether `pid` is a child nitro started and has not collected yet. */
  isOurs(pid: number): boolean;
}

/** Looking at the service directory and at what each service holds. */
export interface ServiceTree {
  /** Scan the service directory; throws when `dir` cannot be read. */
  scan(dir: string): ScanResult;
  /** Which entries nitro looks at `dir` holds now; null: it is gone. */
  entries(dir: string): Entries | null;
  /**
   * What a service directory holds now: its scripts and the `down` file.
   * The option files are left to {@link ServiceTree.option}.
   */
  facts(dir: string, entries: Entries | null): ServiceFacts;
  /**
   * Read the option file `name` of `dir` now (bounded, regular files only):
   * when C nitro does, `notification-fd` as `run` starts, `down-signal` as
   * it is stopped.
   */
  option(dir: string, name: OptionName, entries: Entries | null): OptionRead;
  /** The name the `log` link of `dir` points at, or null. */
  logLink(dir: string, entries: Entries | null): string | null;
  /** Whether `path` is an executable regular file. */
  isExecutable(path: string): boolean;
  /** `stat` of a path a client named, asynchronously (never holding nitro). */
  stat(path: string): Promise<Deno.FileInfo>;
}

/**
 * The log pipes of one nitro: one FIFO per logger, held open by nitro for
 * as long as the logger exists (see pipes.ts).
 */
export interface LogPipeStore {
  /** Path of `logger`'s pipe, creating and holding it if needed. */
  ensure(logger: string): string;
  /** Whether `logger` has a pipe (held or released). */
  has(logger: string): boolean;
  /** Let go of nitro's hold, keeping the FIFO: the logger reads to EOF. */
  release(logger: string): void;
  /** Close and remove `logger`'s pipe. */
  drop(logger: string): void;
  /** Close and remove every pipe. */
  closeAll(): void;
}

/** nitro's own messages, written without ever blocking it. */
export interface Console {
  /** One line. */
  say(line: string): void;
  /** Text as it is (part of a line, as nitro sometimes prints). */
  write(text: string): void;
  /**
   * Resolves true once everything is written, or false once output stood
   * still for `ms` (a stopped console): for the last words before exit.
   */
  flush(ms: number): Promise<boolean>;
}

/**
 * The notify directory: whoever listens there learns of state changes
 * (see notify_dir.ts). Announcing never waits; a listener that does not
 * read loses announcements.
 */
export interface Notifier {
  /** Tell the listeners of `name` (and of every service) its `state`. */
  announce(name: string, state: State): void;
}

/** A notifier for a nitro without a notify directory: nobody listens. */
export const NOBODY_LISTENS: Notifier = { announce: () => {} };

/** What the supervisor and the system shell act through. */
export interface Host {
  readonly clock: Clock;
  readonly processes: Processes;
  readonly tree: ServiceTree;
  readonly pipes: LogPipeStore;
  readonly console: Console;
  readonly notify: Notifier;
  /** The environment scripts get (each also gets NITRO_SERVICE). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Where the running service processes are recorded, for a nitro started
   * after a crash of this one (see survivors.ts); none without a runtime
   * directory.
   */
  readonly running?: ProcessRecords;
}

/** The record of which service processes run. */
export interface ProcessRecords {
  /** `name`'s process `pid`, leading a session of its own, started. */
  started(name: string, pid: number): void;
  /** `name`'s process ended. */
  ended(name: string): void;
}

/**
 * Run `work`; a bug in it (an exception) is said on `console` with its
 * stack, and the caller goes on: supervision must outlive its own bugs.
 */
export function guard(
  console: Console,
  during: string,
  work: () => void,
): void {
  try {
    work();
  } catch (err) {
    sayInternal(console, during, err);
  }
}

/** Say one of nitro's own bugs on its console, with the stack. */
export function sayInternal(
  console: Console,
  during: string,
  err: unknown,
): void {
  console.say(`- nitro: internal error (${during}): ${stackOf(err)}`);
}

/** PATH given to scripts when nitro has none. */
export const DEFAULT_PATH =
  "/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin";

/** What {@link realHost} is made of. */
export interface RealHostOptions {
  /**
   * nitro's private runtime directory, opened once (the log FIFOs); null
   * before there is one (a fatal start needs no pipes).
   */
  runtime: RuntimeDir | null;
  console: Console;
  /** The notify directory; default: none. */
  notify?: Notifier;
  /** nitro's own children, which pid 1 must leave to Deno to reap. */
  children?: Children;
  /** nitro's environment; default: its own. */
  env?: Record<string, string>;
  /** The pool thread kept for pid exhaustion, kicked after blocking work. */
  reserve?: ThreadReserve;
}

/** The host of a running nitro: real processes, time and files. */
export function realHost(opts: RealHostOptions): Host & { children: Children } {
  const children = opts.children ?? new Children();
  const spawner = new Spawner(children);
  const t0 = performance.now();
  const env = { ...(opts.env ?? Deno.env.toObject()) };
  env.PATH ??= DEFAULT_PATH;
  const cache = new EntryCache();
  return {
    children,
    env,
    console: opts.console,
    notify: opts.notify ?? NOBODY_LISTENS,
    pipes: opts.runtime === null ? noPipes : new LogPipes(opts.runtime),
    running: opts.runtime === null
      ? undefined
      : new RunningRecords(opts.runtime, children),
    clock: {
      now: () => performance.now() - t0,
      after: (ms, fire) => {
        const id = setTimeout(fire, Math.max(0, ms));
        return () => clearTimeout(id);
      },
    },
    processes: {
      start: (req, onExit) => spawner.start(req, onExit),
      signal: kill,
      isOurs: (pid) => children.has(pid),
    },
    tree: {
      scan: scanServiceDir,
      entries: (dir) => cache.of(dir),
      facts: probeFacts,
      option: (dir, name, entries) => readOption(dir, name, entries),
      logLink: readLogLink,
      isExecutable,
      stat: (path) =>
        opts.reserve
          ? opts.reserve.run(() => Deno.stat(path))
          : Deno.stat(path),
    },
  };
}

/** The pipes of a nitro without a runtime directory: there are none. */
const noPipes: LogPipeStore = {
  ensure: (logger) => {
    throw new Error(`no runtime directory for the log pipe of ${logger}`);
  },
  has: () => false,
  release: () => {},
  drop: () => {},
  closeAll: () => {},
};
