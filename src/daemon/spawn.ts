/**
 * Starting service scripts with exactly the file descriptors the spec gives
 * them: 0 = /dev/null or the log pipe, 1 = the log pipe or nitro's stdout,
 * 2 = nitro's stderr, N = the readiness pipe; nothing else.
 *
 * Why `node:child_process` and a FIFO: `Deno.Command` offers only
 * piped/inherit/null, so it cannot hand a child a pipe shared with another
 * child, nor an fd above 2. `node:child_process` can create a pipe at any
 * index (used for `notification-fd`), but handing it an existing fd leaks one
 * duplicate of that fd into the child. So log pipes are named pipes (FIFOs)
 * that nitro holds open read-write for as long as it runs — which keeps their
 * buffered data while writers and readers come and go — and the child opens
 * them itself by path through a two-line `/bin/sh` prologue before it execs
 * the script. The data never passes through JavaScript.
 *
 * @module
 */

import { spawn as nodeSpawn, type StdioOptions } from "node:child_process";
import { constants } from "node:os";
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
  const child = nodeSpawn(file, args, {
    cwd: req.cwd,
    env: req.env,
    stdio: stdio(req),
    detached: true, // setsid: the service gets its own session
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot execute ${req.command}`);
  liveChildren.add(pid);
  const exited = new Promise<number>((resolve) => {
    const done = (status: number) => {
      liveChildren.delete(pid);
      resolve(status);
    };
    child.once("exit", (code, signal) => done(waitStatus(code, signal)));
    // An exec error after the pid was known still ends the process.
    child.once("error", () => done(127 << 8));
  });
  const notify = req.notifyFd === null
    ? null
    : child.stdio[req.notifyFd] as Readable;
  return { pid, notify, exited };
}

function fifoPath(s: Stream): string {
  return s.kind === "fifo" ? s.path : "";
}

function stdio(req: SpawnRequest): StdioOptions {
  const fd0 = req.stdin.kind === "inherit" ? "inherit" : "ignore";
  const fd1 = req.stdout.kind === "null" ? "ignore" : "inherit";
  const fd2 = req.stderrInherit ? "inherit" : "ignore";
  const list: ("inherit" | "ignore" | "pipe")[] = [fd0, fd1, fd2];
  if (req.notifyFd !== null) {
    while (list.length <= req.notifyFd) list.push("ignore");
    list[req.notifyFd] = "pipe";
  }
  return list;
}

/** Raw wait status from node's (code, signal name) pair. */
function waitStatus(code: number | null, signal: string | null): number {
  if (signal !== null) {
    const signo = (constants.signals as Record<string, number>)[signal] ?? 0;
    return signo & 0x7f;
  }
  return ((code ?? 0) & 0xff) << 8;
}
