/**
 * The small facts every kind of test needs, each defined once: where the
 * repository is, how to quote a word for /bin/sh, what /proc/PID/stat says,
 * and whether namespace tests can run here.
 *
 * @module
 */

/** The repository's root directory: absolute, ending in "/". */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname;

/** `s` quoted for /bin/sh: one word, whatever it contains. */
export function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** /proc/PID/stat (proc(5)): the fields tests use, and all the others. */
export interface ProcStat {
  pid: number;
  /** The command name, without its parentheses. */
  comm: string;
  /** One letter: R, S, D, T, Z, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** User and system CPU time, in clock ticks. */
  utime: number;
  stime: number;
  /** When it started, in clock ticks since boot: tells a reused pid. */
  starttime: number;
  /** Every field after the name: `fields[0]` is field 3 (state). */
  fields: string[];
}

/**
 * Parse the text of /proc/PID/stat. The name may hold spaces and
 * parentheses, so the fields after it are found from its last ")".
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).trim().split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0],
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    utime: field(14),
    stime: field(15),
    starttime: field(22),
    fields,
  };
}

/** /proc/PID/stat of `pid`, or null when there is no such process. */
export function procStat(pid: number | string): ProcStat | null {
  try {
    return parseStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** Why namespace (unshare, pid 1) tests cannot run here, or null. */
export async function unshareUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root";
  try {
    const { success } = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount", "--mount-proc", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? null : "unshare --pid --mount fails here";
  } catch {
    return "no unshare";
  }
}

/**
 * For a test file that needs namespaces: why it must skip (said once on
 * stderr), or null. Use as `const skip = await skipWithoutNamespaces(…)`
 * and `ignore: skip !== null`.
 */
export async function skipWithoutNamespaces(
  file: string,
): Promise<string | null> {
  const why = await unshareUnavailable();
  if (why !== null) console.warn(`${file}: skipped (needs namespaces): ${why}`);
  return why;
}

/** How a finished command ended, its output decoded. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `cmd` to its end, stdin on /dev/null, and decode what it printed.
 * With `killAfterMs` it is killed (SIGKILL) after that long, so a hang
 * fails the test instead of holding it.
 */
export async function runCommand(
  cmd: string,
  options: Omit<Deno.CommandOptions, "stdin" | "stdout" | "stderr"> & {
    killAfterMs?: number;
  } = {},
): Promise<CommandResult> {
  const { killAfterMs, ...rest } = options;
  const child = new Deno.Command(cmd, {
    ...rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = killAfterMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  try {
    return decodeOutput(await child.output());
  } finally {
    clearTimeout(timer);
  }
}

/** A finished command's status and output, decoded as text. */
export function decodeOutput(out: Deno.CommandOutput): CommandResult {
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Whether anything (even a dangling symlink) is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A shell script: `#!/bin/sh` plus the lines. */
export function sh(...lines: string[]): string {
  return `#!/bin/sh\n${lines.join("\n")}\n`;
}

/** Read a text file, or "" when it is not there (yet). */
export function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Non-empty lines of a file (none when it is missing). */
export function linesOf(path: string): string[] {
  return readOr(path).split("\n").filter((l) => l !== "");
}
