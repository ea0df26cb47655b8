/**
 * Reading the service directory: which entries are services or templates,
 * and what each service directory holds (spec §1, §5).
 *
 * @module
 */

import { basename, join } from "node:path";
import type { SignalName } from "../protocol.ts";
import type { Readiness, ServiceFacts } from "../core/service.ts";
import { isTemplate, nameProblem, splitInstance } from "./names.ts";

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

/** Letters of `down-signal` and the signal each names (spec §6). */
const SIGNAL_LETTERS: Record<string, SignalName> = {
  p: "SIGSTOP",
  c: "SIGCONT",
  h: "SIGHUP",
  a: "SIGALRM",
  i: "SIGINT",
  q: "SIGQUIT",
  t: "SIGTERM",
  k: "SIGKILL",
  "1": "SIGUSR1",
  "2": "SIGUSR2",
};

/**
 * Scan `dir` (spec §1): every entry that is a directory, or a symlink to
 * one, with a valid name is a service, whatever it holds; `NAME@` is a
 * template; `NAME@PARAM` (a symlink or a directory of its own, whose
 * contents are ignored) is an instance running the template's scripts.
 * Throws (a `Deno.errors.*`) only when `dir` itself cannot be read; broken
 * entries are reported in `ignored`.
 */
export function scanServiceDir(dir: string): ScanResult {
  const services = new Map<string, FoundService>();
  const templates = new Map<string, string>();
  const ignored: string[] = [];
  const instances: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const name = entry.name;
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (!entry.isDirectory && !(entry.isSymlink && isDirectory(path))) {
      continue;
    }
    const problem = nameProblem(name);
    if (problem !== null) {
      ignored.push(`${JSON.stringify(name)}: ${problem}`);
      continue;
    }
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

/** Read a small text file, or null if it is not there. */
function readSmall(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Look at a service directory now: which scripts, which options. */
export function probeFacts(dir: string): ServiceFacts {
  // One listing, then only the files that are there: probing runs at
  // every start, and a failed read per absent file is wasted work.
  let present: Set<string>;
  try {
    present = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
  } catch {
    return {
      gone: true,
      hasSetup: false,
      hasRun: false,
      hasFinish: false,
      down: false,
      downSignal: "SIGTERM",
      readiness: { kind: "timer" },
    };
  }
  const text = (name: string) =>
    present.has(name) ? readSmall(join(dir, name)) : null;
  const hasRun = present.has("run");
  const hasSetup = present.has("setup");
  return {
    gone: false,
    hasSetup,
    hasRun,
    hasFinish: present.has("finish") && isExecutable(join(dir, "finish")),
    down: present.has("down"),
    downSignal: downSignal(text("down-signal")),
    readiness: readiness(text("notification-fd")),
  };
}

function downSignal(text: string | null): SignalName {
  return (text !== null && SIGNAL_LETTERS[text.charAt(0)]) || "SIGTERM";
}

/** Parse `notification-fd` (spec §5): absent -> timer; not a number -> manual. */
export function readiness(text: string | null): Readiness {
  if (text === null) return { kind: "timer" };
  const trimmed = text.trim();
  if (!/^\d{1,4}$/.test(trimmed)) return { kind: "manual" };
  const fd = Number(trimmed);
  return fd === 0 ? { kind: "manual" } : { kind: "fd", fd };
}

/** The name of the service a `log` symlink points at, or null. */
export function readLogLink(dir: string): string | null {
  try {
    const name = basename(Deno.readLinkSync(join(dir, "log")));
    return name === "" || name === "." || name === ".." ? null : name;
  } catch {
    return null;
  }
}
