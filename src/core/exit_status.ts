/**
 * Raw wait statuses, told for people: "exited 3", "killed by SIGTERM".
 *
 * @module
 */

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
  const signal = wstatus & 0x7f;
  if (signal === 0) return `exited ${(wstatus >> 8) & 0xff}`;
  const core = wstatus & 0x80 ? " (core dumped)" : "";
  return `killed by ${signalName(signal)}${core}`;
}

/** `SIGTERM` for 15, `SIGRTMIN+2` for 36, `signal 33` where Linux has none. */
export function signalName(signal: number): string {
  if (signal > 0 && signal < SIGNAL_NAMES.length) return SIGNAL_NAMES[signal];
  if (signal >= SIGRTMIN && signal <= 64) {
    return signal === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${signal - SIGRTMIN}`;
  }
  return `signal ${signal}`;
}
