/**
 * Raw wait statuses (as waitpid reports them: `code << 8` for an exit, the
 * signal number in the low 7 bits for a death by a signal, 0x80 for a core
 * dump): made, taken apart, and told for people ("exited 3", "killed by
 * SIGTERM"). Also nitro's own exit code for "this will not fix itself".
 *
 * @module
 */

/**
 * The exit code that means "this will not fix itself", in the daemontools
 * tradition: nitro exits with it when it cannot run, nitroctl when nitro is
 * unavailable, and a `setup` exiting with it makes its service FATAL.
 */
export const EXIT_FATAL = 111;

/** The exit code of nitro and nitroctl for a command line they refuse. */
export const EXIT_USAGE = 2;

/** Encode an exit code as a raw wait status. */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/** Encode death by a signal number as a raw wait status. */
export function signaledStatus(signo: number): number {
  return signo & 0x7f;
}

/** Decode a raw wait status: exit code, or -1 with the killing signal. */
export function decodeStatus(wstatus: number): { code: number; signo: number } {
  const signo = wstatus & 0x7f;
  if (signo === 0) return { code: exitByte(wstatus), signo: 0 };
  return { code: -1, signo };
}

/**
 * The exit-code byte of a wait status whatever ended the process
 * (`WEXITSTATUS` without `WIFEXITED`): 0 for a death by a signal. C nitro
 * reads SYS/setup's status so.
 */
export function exitByte(wstatus: number): number {
  return (wstatus >> 8) & 0xff;
}

/** The exit code of a wait status, or 128 + N for a death by signal N. */
export function exitCode(wstatus: number): number {
  const { code, signo } = decodeStatus(wstatus);
  return signo === 0 ? code : 128 + signo;
}

/** Linux signal names by number (1-31); realtime ones are SIGRTMIN+n. */
const SIGNAL_NAMES = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** First realtime signal on Linux (glibc's SIGRTMIN). */
const SIGRTMIN = 34;

/**
 * Describe a raw wait status (`(code << 8)` for an exit, the signal number
 * in the low 7 bits for a death by a signal).
 *
 * @example
 * ```ts
 * import { describeExit } from "./exit_status.ts";
 * console.assert(describeExit(3 << 8) === "exited 3");
 * console.assert(describeExit(15) === "killed by SIGTERM");
 * console.assert(describeExit(0x80 | 11) === "killed by SIGSEGV (core dumped)");
 * ```
 */
export function describeExit(wstatus: number): string {
  const { code, signo } = decodeStatus(wstatus);
  if (signo === 0) return `exited ${code}`;
  const core = wstatus & 0x80 ? " (core dumped)" : "";
  return `killed by ${signalName(signo)}${core}`;
}

/** `SIGTERM` for 15, `SIGRTMIN+2` for 36, `signal 33` where Linux has none. */
export function signalName(signal: number): string {
  if (signal > 0 && signal < SIGNAL_NAMES.length) return SIGNAL_NAMES[signal];
  if (signal >= SIGRTMIN && signal <= 64) {
    return signal === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${signal - SIGRTMIN}`;
  }
  return `signal ${signal}`;
}
