/**
 * Starting service scripts with exactly the file descriptors the spec gives
 * them: 0 = /dev/null or the log pipe, 1 = the log pipe or nitro's stdout,
 * 2 = nitro's stderr, N = the readiness pipe; nothing else.
 *
 * Why this mix: `Deno.Command` offers only piped/inherit/null, so it cannot
 * hand a child a pipe shared with another child, nor an fd above 2.
 * `node:child_process` can create a pipe at any index (used for
 * `notification-fd`), but handing it an existing fd leaks one duplicate of
 * that fd into the child, and each of its children costs about twice the
 * memory of a `Deno.Command` one. So log pipes are named pipes (FIFOs) that
 * nitro holds open read-write for as long as it runs — which keeps their
 * buffered data while writers and readers come and go — and the child opens
 * them itself by path through a one-line `/bin/sh` prologue before it execs
 * the script. `Deno.Command` starts everything except scripts that need a
 * readiness pipe. The log data never passes through JavaScript.
 *
 * @module
 */

import { spawn as nodeSpawn, type StdioOptions } from "node:child_process";
import type { Readable } from "node:stream";

/** What the child's stdin/stdout are connected to. */
export type Stream =
  /** /dev/null. */
  | { kind: "null" }
  /** nitro's own fd of the same number. */
  | { kind: "inherit" }
  /** A FIFO, opened by the child through the shell prologue. */
  | { kind: "fifo"; path: string };

/** How to start one script. */
export interface SpawnRequest {
  /** Absolute path of the script (`/etc/nitro/web/run`). */
  command: string;
  args: string[];
  /** Working directory: the service (or template) directory. */
  cwd: string;
  env: Record<string, string>;
  stdin: Stream;
  stdout: Stream;
  /** Whether nitro's stderr is usable; otherwise the child gets /dev/null. */
  stderrInherit: boolean;
  /** fd number of the readiness pipe, if any. */
  notifyFd: number | null;
}

/** A started process. */
export interface Spawned {
  pid: number;
  /** The read side of the readiness pipe, when `notifyFd` was set. */
  notify: Readable | null;
  /** Resolves with the raw wait status when the process has ended. */
  exited: Promise<number>;
}

/**
 * Pids of started scripts whose exit has not been delivered yet. As pid 1,
 * nitro reaps every other zombie; these it must leave to the runtime, which
 * hands their status to `exited`.
 */
export const liveChildren: Set<number> = new Set();

/** Opens the FIFOs named in $1 and $2 (if non-empty), then execs the rest. */
const PROLOGUE = 'case $1 in ?*) exec <"$1";; esac; ' +
  'case $2 in ?*) exec >"$2";; esac; shift 2; exec "$@"';

/** Start a script; throws an `Error` with a readable message if impossible. */
export function spawnScript(req: SpawnRequest): Spawned {
  const viaShell = req.stdin.kind === "fifo" || req.stdout.kind === "fifo";
  const [file, args] = viaShell
    ? [
      "/bin/sh",
      [
        "-c",
        PROLOGUE,
        "nitro",
        fifoPath(req.stdin),
        fifoPath(req.stdout),
        req.command,
        ...req.args,
      ],
    ]
    : [req.command, req.args];
  const spawned = req.notifyFd === null
    ? spawnCommand(file, args, req)
    : spawnWithPipe(file, args, req, req.notifyFd);
  const { pid } = spawned;
  liveChildren.add(pid);
  return {
    ...spawned,
    exited: spawned.exited.then((status) => {
      liveChildren.delete(pid);
      return status;
    }),
  };
}

/** The common case, with `Deno.Command`: throws if exec is impossible. */
function spawnCommand(file: string, args: string[], req: SpawnRequest) {
  const child = new Deno.Command(file, {
    args,
    cwd: req.cwd,
    env: req.env,
    clearEnv: true,
    stdin: req.stdin.kind === "inherit" ? "inherit" : "null",
    stdout: req.stdout.kind === "null" ? "null" : "inherit",
    stderr: req.stderrInherit ? "inherit" : "null",
    detached: true, // setsid: the service gets its own session
  }).spawn();
  const exited = child.status.then(({ code, signal }) =>
    // Deno reports death by signal N as code 128 + N.
    signal === null ? (code & 0xff) << 8 : (code - 128) & 0x7f
  );
  return { pid: child.pid, notify: null, exited };
}

/** With a readiness pipe at fd `fd`, which only node's spawn can place. */
function spawnWithPipe(
  file: string,
  args: string[],
  req: SpawnRequest,
  fd: number,
) {
  const child = nodeSpawn(file, args, {
    cwd: req.cwd,
    env: req.env,
    stdio: stdio(req, fd),
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    // The reason comes later as an "error" event, which must be handled.
    child.once("error", () => {});
    throw new Error(`cannot execute ${req.command}`);
  }
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(waitStatus(code, signal)));
    // An exec error after the pid was known still ends the process.
    child.once("error", () => resolve(127 << 8));
  });
  return { pid, notify: child.stdio[fd] as Readable, exited };
}

function fifoPath(s: Stream): string {
  return s.kind === "fifo" ? s.path : "";
}

function stdio(req: SpawnRequest, notifyFd: number): StdioOptions {
  const fd0 = req.stdin.kind === "inherit" ? "inherit" : "ignore";
  const fd1 = req.stdout.kind === "null" ? "ignore" : "inherit";
  const fd2 = req.stderrInherit ? "inherit" : "ignore";
  const list: ("inherit" | "ignore" | "pipe")[] = [fd0, fd1, fd2];
  while (list.length <= notifyFd) list.push("ignore");
  list[notifyFd] = "pipe";
  return list;
}

/** Raw wait status from node's (code, signal name) pair. */
function waitStatus(
  code: number | null,
  signal: string | null,
): number {
  if (signal !== null) return SIGNAL_NUMBERS[signal] ?? 0;
  return ((code ?? 0) & 0xff) << 8;
}

/** Linux signal numbers (node reports deaths by name). */
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};
