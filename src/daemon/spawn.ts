/**
 * Starting service scripts with exactly the file descriptors the spec gives
 * them: 0 = /dev/null or the log pipe, 1 = the log pipe or nitro's stdout,
 * 2 = nitro's stderr, N = the readiness pipe; nothing else.
 *
 * Everything is started with `Deno.Command`, which offers only
 * piped/inherit/null for fds 0-2. So a script that needs more starts as a
 * one-line `/bin/sh` *prologue* that opens what `Deno.Command` cannot give
 * and then execs the script (the rest, `#!` scripts with fds 0-2 from
 * `Deno.Command`, start as their interpreter directly):
 * - log pipes are FIFOs that nitro holds open read-write for as long as the
 *   logger exists (see pipes.ts); the prologue opens them by path as fd 0
 *   or 1. The log data never passes through JavaScript;
 * - the readiness pipe (`notification-fd` N) is the stdout pipe of a relay
 *   process, opened through /proc as fd N (see readiness.ts);
 * - nitro's stdout and stderr are inherited, never reopened: where they go
 *   (a tty, a pipe, a file opened for append, a socket) stays as it is;
 * - the script is exec'd with the argv C nitro gives it, `$0` = `run`
 *   (see script_argv.ts).
 *
 * dash, the usual /bin/sh, takes fd numbers 0-9 only and has no `exec -a`:
 * for N >= 10, and for a binary `run` (to give it argv[0] `run`), the
 * prologue runs in bash when /bin/sh cannot (busybox ash can). One probe of
 * /bin/sh, the first time it matters, finds out.
 *
 * @module
 */

import { basename } from "node:path";
import { isExecutable } from "../config/scan.ts";
import type { Children } from "./children.ts";
import { ReadinessPipe } from "./readiness.ts";
import { waitStatus, waitStatusOfError } from "./wait_status.ts";
import {
  parseShebang,
  readHead,
  scriptArgv,
  type ScriptExec,
} from "./script_argv.ts";

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
  /**
   * Called on the first newline written into the readiness pipe: at most
   * once, and never after the process has exited.
   */
  onReady?: () => void;
}

/** A started process. */
export interface Spawned {
  pid: number;
  /** Resolves with the raw wait status when the process has ended. */
  exited: Promise<number>;
}

/**
 * Starts scripts, and keeps what it learnt on the way: what /bin/sh can do
 * (one probe, the first time it matters) and where setsid(1) lives.
 *
 * @example
 * ```ts ignore
 * const spawner = new Spawner(new Children());
 * const s = spawner.spawn(request);
 * console.log(s.pid, await s.exited);
 * ```
 */
export class Spawner {
  #children: Children;
  #caps: ShellCaps | undefined;
  #setsid: string | null | undefined;

  /** Every process started is recorded in `children` until reaped. */
  constructor(children: Children) {
    this.#children = children;
  }

  /**
   * Start a script; throws an `Error` with a readable message if
   * impossible.
   */
  spawn(req: SpawnRequest): Spawned {
    let resolve!: (wstatus: number) => void;
    const exited = new Promise<number>((r) => resolve = r);
    return { pid: this.start(req, resolve), exited };
  }

  /**
   * Start a script and return its pid; `onExit` gets its raw wait status
   * once it has ended. What the supervisor uses: a callback costs each
   * running process less memory than a promise the caller chains onto.
   * Throws an `Error` with a readable message if the script cannot start.
   */
  start(req: SpawnRequest, onExit: (wstatus: number) => void): number {
    const script = execArgv(req);
    const fd = req.notifyFd;
    const needs = {
      highFd: fd !== null && fd > 9,
      argv0: script.argv0 !== null,
    };
    // Probe /bin/sh only when it matters.
    const shell = needs.highFd || needs.argv0
      ? chooseShell(needs, this.#shellCaps())
      : { path: "/bin/sh", argv0: false };
    if (shell === null) {
      throw new Error(
        `notification-fd ${fd} needs a shell that can open it: ` +
          "/bin/sh cannot, and there is no bash",
      );
    }
    // Nothing here keeps `req` (and its copy of the environment) alive while
    // the service runs: with thousands of services, those copies add up.
    const onReady = req.onReady ?? (() => {});
    const children = this.#children;
    const pipe = fd === null ? null : new ReadinessPipe(onReady, children);
    let child: Deno.ChildProcess;
    try {
      const [file, args] = commandLine(req, script, shell, pipe);
      // The service gets a session of its own. Deno's `detached` would do
      // it, but takes the slow fork path (7-11 ms of nitro's CPU per spawn
      // instead of about 1): setsid(1) does it in the child, then execs
      // without a fork.
      const setsid = this.#setsidPath();
      child = new Deno.Command(setsid ?? file, {
        args: setsid === null ? args : ["--", file, ...args],
        cwd: req.cwd,
        env: req.env,
        clearEnv: true,
        stdin: req.stdin.kind === "inherit" ? "inherit" : "null",
        stdout: req.stdout.kind === "inherit" ? "inherit" : "null",
        stderr: req.stderrInherit ? "inherit" : "null",
        detached: setsid === null,
      }).spawn();
    } catch (err) {
      pipe?.close();
      throw err;
    }
    const pid = child.pid;
    children.add(pid);
    // Closing the readiness pipe first means `onReady` never comes after
    // the exit.
    const ended = (wstatus: number) => {
      children.delete(pid);
      pipe?.close();
      onExit(wstatus);
    };
    child.status.then(
      (status) => ended(waitStatus(status)),
      (err) => ended(waitStatusOfError(err)),
    );
    return pid;
  }

  /** What /bin/sh can do, found once with one probe, and where bash is. */
  #shellCaps(): ShellCaps {
    if (this.#caps !== undefined) return this.#caps;
    const probe = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        "(exec 10>&2) 2>/dev/null && echo fd; " +
        "(exec -a x /bin/sh -c :) 2>/dev/null && echo a",
      ],
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const said = new TextDecoder().decode(probe.stdout).split("\n");
    return this.#caps = {
      highFd: said.includes("fd"),
      execA: said.includes("a"),
      bash: ["/bin/bash", "/usr/bin/bash"].find(isExecutable) ?? null,
    };
  }

  /**
   * The absolute path of setsid(1), looked up once; null when there is
   * none (then Deno's `detached` gives the new session instead). Its child
   * is never a process group leader, so setsid(1) execs without forking:
   * the pid nitro knows stays the service's.
   */
  #setsidPath(): string | null {
    if (this.#setsid !== undefined) return this.#setsid;
    return this.#setsid = SETSID_CANDIDATES.find(isExecutable) ?? null;
  }
}

/**
 * File and arguments for `Deno.Command`: the prologue in `shell`, or the
 * script's own argv when a prologue would have nothing to do.
 */
export function commandLine(
  req: Pick<SpawnRequest, "stdin" | "stdout" | "notifyFd">,
  script: ScriptExec,
  shell: { path: string; argv0: boolean },
  pipe: { path: string; relay: number } | null,
): [string, string[]] {
  const argv0 = shell.argv0 ? script.argv0 : null;
  if (
    pipe === null && argv0 === null && req.stdin.kind !== "fifo" &&
    req.stdout.kind !== "fifo"
  ) {
    return [script.argv[0], script.argv.slice(1)];
  }
  return [shell.path, [
    "-c",
    prologue({ notifyFd: pipe && req.notifyFd, argv0: argv0 !== null }),
    "nitro",
    fifoPath(req.stdin),
    fifoPath(req.stdout),
    pipe?.path ?? "",
    String(pipe?.relay ?? ""),
    argv0 ?? "",
    ...script.argv,
  ]];
}

/** What the prologue has to do besides opening fds 0 and 1. */
export interface PrologueOptions {
  /** Open the readiness pipe as this fd (>= 3), or not at all. */
  notifyFd: number | null;
  /** Exec with `exec -a "$5"` (the shell must know `-a`). */
  argv0: boolean;
}

/**
 * The shell program that opens the FIFOs named in $1 and $2 (if non-empty)
 * as fds 0 and 1, opens the readiness pipe $3 as fd `notifyFd` and kills
 * its relay $4, and execs the rest (with argv[0] $5). A failed redirection
 * ends the shell (status 2, its message on stderr): the script never runs.
 *
 * @example
 * ```ts
 * import { prologue } from "./spawn.ts";
 * const text = prologue({ notifyFd: 37, argv0: false });
 * console.assert(text.includes('exec 37>"$3"'));
 * ```
 */
export function prologue(opts: PrologueOptions): string {
  const fd = opts.notifyFd;
  if (fd !== null && !(Number.isInteger(fd) && fd >= 3)) {
    throw new RangeError(`readiness fd ${fd} is not above 2`);
  }
  return 'case $1 in ?*) exec <"$1";; esac; ' +
    'case $2 in ?*) exec >"$2";; esac; ' +
    (fd === null ? "" : `exec ${fd}>"$3"; kill "$4"; `) +
    (opts.argv0 ? 'a=$5; shift 5; exec -a "$a" "$@"' : 'shift 5; exec "$@"');
}

/** What the shells at hand can do. */
export interface ShellCaps {
  /** /bin/sh opens fds above 9 (dash cannot). */
  highFd: boolean;
  /** /bin/sh has `exec -a` (dash has not). */
  execA: boolean;
  /** Path of bash, which can do both, if there is one. */
  bash: string | null;
}

/**
 * The shell for the prologue: /bin/sh when it can do what is needed, else
 * bash. Without bash, `argv0` is given up (the binary sees `./run`), a
 * high fd is not: null.
 */
export function chooseShell(
  needs: { highFd: boolean; argv0: boolean },
  caps: ShellCaps,
): { path: string; argv0: boolean } | null {
  const sh = (!needs.highFd || caps.highFd) && (!needs.argv0 || caps.execA);
  if (sh) return { path: "/bin/sh", argv0: needs.argv0 };
  if (caps.bash !== null) return { path: caps.bash, argv0: needs.argv0 };
  if (needs.highFd && !caps.highFd) return null;
  return { path: "/bin/sh", argv0: false };
}

/** What to exec, after checks that give exec's errors a reason. */
function execArgv(req: SpawnRequest): ScriptExec {
  const name = basename(req.command);
  if (!isExecutable(req.command)) {
    throw new Error(`${name} is not executable`);
  }
  const head = readHead(req.command);
  const interpreter = head === null ? null : parseShebang(head);
  if (interpreter !== null && !isExecutable(interpreter[0])) {
    // A carriage return before the newline: written on Windows.
    const hint = interpreter[0].endsWith("\r")
      ? " (CRLF line endings? convert the file with dos2unix)"
      : "";
    throw new Error(`${name}: interpreter ${interpreter[0]} not found${hint}`);
  }
  if (head !== null && !canExec(head)) {
    // execve(2) refuses it; setsid's execvp would hand it to a shell instead.
    throw new Error(
      `cannot exec ${name}: Exec format error (no #! line, not an ELF binary)`,
    );
  }
  return scriptArgv(req.command, req.args, req.cwd, head);
}

/** Whether the kernel can exec a file that starts with `head`. */
function canExec(head: Uint8Array): boolean {
  const starts = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  return starts([0x23, 0x21]) || starts([0x7f, 0x45, 0x4c, 0x46]); // #!, ELF
}

function fifoPath(s: Stream): string {
  return s.kind === "fifo" ? s.path : "";
}

/** Where setsid(1) may live (util-linux, or busybox): never a PATH lookup. */
const SETSID_CANDIDATES = ["/usr/bin/setsid", "/bin/setsid"];
