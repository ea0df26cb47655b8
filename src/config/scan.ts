/**
 * Reading the service directory: which entries are services or templates,
 * and what each service directory holds.
 *
 * @module
 */

import { basename, join } from "node:path";
import type { SignalName } from "../protocol.ts";
import {
  MANUAL_READINESS,
  type Readiness,
  type ServiceFacts,
  TIMER_READINESS,
} from "../core/service.ts";
import { isTemplate, nameProblem, splitInstance } from "./names.ts";
import { signalOfLetter } from "./signals.ts";
import { message } from "../errors.ts";

/** A service found in the service directory. */
export interface FoundService {
  name: string;
  /** The directory its scripts live in (the template's, for an instance). */
  dir: string;
  param: string | null;
}

/** What one scan of the service directory found. */
export interface ScanResult {
  services: Map<string, FoundService>;
  /** Template names (`agetty@`) mapped to their directories. */
  templates: Map<string, string>;
  /** One line per entry that was ignored, and why. */
  ignored: string[];
}

/**
 * Scan `dir`: every entry that is a directory, or a symlink to
 * one, with a valid name is a candidate (the supervisor keeps those with a
 * `run` or a `setup`); `NAME@` is a
 * template; `NAME@PARAM` (a symlink or a directory of its own, whose
 * contents are ignored) is an instance running the template's scripts.
 * Throws (a `Deno.errors.*`) only when `dir` itself cannot be read; broken
 * entries are reported in `ignored`.
 */
export function scanServiceDir(dir: string): ScanResult {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory || (entry.isSymlink && isDirectory(path))) {
      found.push(entry.name);
    }
  }
  return classifyServices(dir, found);
}

/**
 * What the directories `names` in `dir` are: services, templates and
 * instances, or ignored with a reason (hidden ones silently).
 */
export function classifyServices(
  dir: string,
  names: Iterable<string>,
): ScanResult {
  const services = new Map<string, FoundService>();
  const templates = new Map<string, string>();
  const ignored: string[] = [];
  const instances: string[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const problem = nameProblem(name);
    if (problem !== null) {
      ignored.push(`${JSON.stringify(name)}: ${problem}`);
      continue;
    }
    const path = join(dir, name);
    if (isTemplate(name)) templates.set(name, path);
    else if (splitInstance(name) !== null) instances.push(name);
    else services.set(name, { name, dir: path, param: null });
  }
  for (const name of instances) {
    const { template, param } = splitInstance(name)!;
    // An instance always runs in its template's directory; without the
    // template its scripts are gone (FATAL when started).
    const scripts = templates.get(template) ?? join(dir, template);
    services.set(name, { name, dir: scripts, param });
  }
  return { services, templates, ignored };
}

/** Whether `path` is (or links to) a directory. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** A regular file with an execute bit set. */
export function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The files nitro reads an option from, and how many bytes of each. */
export const OPTION_BYTES = {
  "down-signal": 1,
  "notification-fd": 64,
} as const;

/** A file holding an option. */
export type OptionName = keyof typeof OPTION_BYTES;

/** What reading an option file gave: its text, or why it was not read. */
export interface OptionRead {
  /** The first bytes of the file; null when absent or refused. */
  text: string | null;
  /** Why the file was refused (the service goes on as without it). */
  problem: string | null;
}

const NO_OPTION: OptionRead = Object.freeze({ text: null, problem: null });

/**
 * Read the option file `name` of `dir` as C nitro does: at most
 * {@link OPTION_BYTES} bytes, and only from a regular file: a symlink is
 * followed only to a regular file, never into a FIFO (which would block
 * nitro) or a device (`/dev/zero`: endless bytes). Not `readTextFile`:
 * that reads whatever size the file has.
 */
export function readOption(
  dir: string,
  name: OptionName,
  entries: Entries | null = null,
): OptionRead {
  if (entries !== null && !hasEntry(entries, name)) return NO_OPTION;
  let path = join(dir, name);
  try {
    let info = Deno.lstatSync(path);
    if (info.isSymlink) {
      path = Deno.realPathSync(path);
      info = Deno.lstatSync(path);
    }
    if (!info.isFile) {
      return { text: null, problem: `not a regular file (${kindOf(info)})` };
    }
    // Deno's open has no O_NONBLOCK: a FIFO swapped in between the look
    // and the open would block it. Only whoever may write the service
    // directory can do that, and the look shuts out everyone else.
    using file = Deno.openSync(path, { read: true });
    if (!file.statSync().isFile) {
      return { text: null, problem: "not a regular file" };
    }
    const bytes = new Uint8Array(OPTION_BYTES[name]);
    const n = file.readSync(bytes) ?? 0;
    return {
      text: new TextDecoder().decode(bytes.subarray(0, n)),
      problem: null,
    };
  } catch (err) {
    // Gone since it was listed (or a dangling link): as if absent.
    if (err instanceof Deno.errors.NotFound) return NO_OPTION;
    return { text: null, problem: `cannot be read: ${message(err)}` };
  }
}

/** What kind of file `info` is, for a message. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a file";
}

/**
 * The entries of a service directory that nitro looks at.
 * Anything else in the directory is the service's own business.
 */
export const ENTRY_NAMES = [
  "setup",
  "run",
  "finish",
  "down",
  "down-signal",
  "notification-fd",
  "log",
] as const;

/** One of {@link ENTRY_NAMES}. */
export type EntryName = (typeof ENTRY_NAMES)[number];

/**
 * Which of {@link ENTRY_NAMES} a directory holds: bit i for the i-th name.
 * A number, not a set: nitro keeps one per service directory.
 */
export type Entries = number;

/**
 * List which of {@link ENTRY_NAMES} `dir` holds; null when it cannot be
 * listed (it is gone).
 *
 * @example
 * ```ts
 * import { hasEntry, listEntries } from "./scan.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/down`, "");
 * const entries = listEntries(dir)!;
 * console.assert(hasEntry(entries, "down") && !hasEntry(entries, "run"));
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function listEntries(dir: string): Entries | null {
  let entries = 0;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const i = (ENTRY_NAMES as readonly string[]).indexOf(entry.name);
      if (i >= 0) entries |= 1 << i;
    }
  } catch {
    return null;
  }
  return entries;
}

/** Whether `entries` include `name`. */
export function hasEntry(entries: Entries, name: EntryName): boolean {
  return (entries & (1 << ENTRY_NAMES.indexOf(name))) !== 0;
}

/**
 * Look at a service directory now: which scripts are there. `entries` is
 * what the directory holds, when the caller knows it already (see
 * `src/daemon/entry_cache.ts`). The option files are not read here: the
 * supervisor reads each when it is needed ({@link readOption}); the facts
 * carry their defaults.
 */
export function probeFacts(
  dir: string,
  entries: Entries | null = listEntries(dir),
): ServiceFacts {
  return factsFrom(entries, {
    isExecutable: (name) => isExecutable(join(dir, name)),
    unreadable: () => unreadable(dir),
  });
}

/**
 * Why `dir` cannot be listed: gone, or the error that denied it (not
 * every failure means gone); null if it can be listed after all.
 */
export function unreadable(dir: string): string | null {
  try {
    for (const _ of Deno.readDirSync(dir)) break;
    return null;
  } catch (err) {
    return err instanceof Deno.errors.NotFound
      ? DIRECTORY_GONE
      : `cannot read the service directory: ${message(err)}`;
  }
}

/** Why a service directory cannot be used when it is not there. */
export const DIRECTORY_GONE = "service directory is gone";

/** How {@link factsFrom} reads the files of one service directory. */
export interface FactsReader {
  /** Whether `name` is an executable regular file. */
  isExecutable(name: EntryName): boolean;
  /** Why the directory cannot be listed (asked only when it could not). */
  unreadable(): string | null;
}

/** The facts of a directory holding `entries` (null: it is gone). */
export function factsFrom(
  entries: Entries | null,
  files: FactsReader,
): ServiceFacts {
  if (entries === null) {
    return {
      unreadable: files.unreadable() ?? DIRECTORY_GONE,
      hasSetup: false,
      hasRun: false,
      hasFinish: false,
      down: false,
      downSignal: "SIGTERM",
      readiness: TIMER_READINESS,
    };
  }
  return {
    unreadable: null,
    hasSetup: hasEntry(entries, "setup"),
    hasRun: hasEntry(entries, "run"),
    hasFinish: hasEntry(entries, "finish") && files.isExecutable("finish"),
    down: hasEntry(entries, "down"),
    downSignal: "SIGTERM",
    readiness: TIMER_READINESS,
  };
}

/** `down-signal` names its signal by the first letter of its word. */
export function downSignal(text: string | null): SignalName {
  return (text !== null && signalOfLetter(text.charAt(0))) || "SIGTERM";
}

/** Parse `notification-fd`: absent -> timer; not a number -> manual. */
export function readiness(text: string | null): Readiness {
  if (text === null) return TIMER_READINESS;
  const trimmed = text.trim();
  if (!/^\d{1,4}$/.test(trimmed)) return MANUAL_READINESS;
  const fd = Number(trimmed);
  return fd === 0 ? MANUAL_READINESS : { kind: "fd", fd };
}

/**
 * The name of the service a `log` symlink points at, or null. With
 * `entries` known and no `log` among them, nothing is read.
 */
export function readLogLink(
  dir: string,
  entries: Entries | null = null,
): string | null {
  if (entries !== null && !hasEntry(entries, "log")) return null;
  let name: string;
  try {
    name = basename(Deno.readLinkSync(join(dir, "log")));
  } catch {
    return null;
  }
  if (name === "" || name === "." || name === "..") return null;
  // Named like a service or not at all: a target holding an escape
  // sequence would reach the console in "log service X does not exist".
  return nameProblem(name) === null ? name : null;
}
