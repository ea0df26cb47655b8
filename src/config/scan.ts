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
 * Scan `dir`. Throws (a `Deno.errors.*`) only when `dir` itself cannot be
 * read; broken entries are reported in `ignored`.
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
    if (!isDirectory(path)) continue;
    const problem = nameProblem(name);
    if (problem !== null) {
      ignored.push(`${JSON.stringify(name)}: ${problem}`);
      continue;
    }
    if (
      !isExecutable(join(path, "run")) && !isExecutable(join(path, "setup"))
    ) {
      if (exists(join(path, "run")) || exists(join(path, "setup"))) {
        ignored.push(`${name}: run/setup is not executable`);
      }
      continue;
    }
    if (isTemplate(name)) templates.set(name, path);
    else if (splitInstance(name) !== null) instances.push(name);
    else services.set(name, { name, dir: path, param: null });
  }
  for (const name of instances) {
    const { template, param } = splitInstance(name)!;
    // A symlinked instance runs in its template's directory, like one
    // created by `nitroctl up`, so that both kinds behave the same.
    const scripts = templates.get(template) ?? join(dir, name);
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

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
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
      downSignal: "SIGTERM",
      readiness: { kind: "timer" },
      problem: null,
    };
  }
  const script = (name: string) =>
    present.has(name) && isExecutable(join(dir, name));
  const text = (name: string) =>
    present.has(name) ? readSmall(join(dir, name)) : null;
  const hasRun = script("run");
  const hasSetup = script("setup");
  return {
    gone: false,
    hasSetup,
    hasRun,
    hasFinish: script("finish"),
    downSignal: downSignal(text("down-signal")),
    readiness: readiness(text("notification-fd")),
    problem: execProblem(dir, hasSetup ? "setup" : "run"),
  };
}

function downSignal(text: string | null): SignalName {
  return (text !== null && SIGNAL_LETTERS[text.charAt(0)]) || "SIGTERM";
}

/** Parse `notification-fd` (spec §5): absent → timer; not a number → manual. */
export function readiness(text: string | null): Readiness {
  if (text === null) return { kind: "timer" };
  const trimmed = text.trim();
  if (!/^\d{1,4}$/.test(trimmed)) return { kind: "manual" };
  const fd = Number(trimmed);
  return fd === 0 ? { kind: "manual" } : { kind: "fd", fd };
}

/**
 * Why a script that has an execute bit still cannot be executed: a `#!`
 * line naming an interpreter that is not there (or not executable).
 */
function execProblem(dir: string, script: string): string | null {
  let head: string;
  try {
    const file = Deno.openSync(join(dir, script));
    try {
      const buf = new Uint8Array(256);
      const n = file.readSync(buf) ?? 0;
      head = new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return null;
  }
  if (!head.startsWith("#!")) return null;
  const interpreter = head.slice(2).split("\n")[0].trim().split(/\s+/)[0];
  if (interpreter && !isExecutable(interpreter)) {
    return `cannot execute ${script}: interpreter ${interpreter} not found`;
  }
  return null;
}

/** Whether the service directory has a `down` file. */
export function hasDownFile(dir: string): boolean {
  return exists(join(dir, "down"));
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
