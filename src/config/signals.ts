/**
 * The signals nitro delivers by name: nitroctl's signal commands take the
 * word or any prefix of it, and a service's `down-signal` file its first
 * letter. One table for both.
 *
 * @module
 */

import type { SignalName } from "../protocol.ts";

/** Signal words and the signal each names; first letters are unique. */
export const SIGNAL_WORDS: ReadonlyArray<readonly [string, SignalName]> = [
  ["pause", "SIGSTOP"],
  ["cont", "SIGCONT"],
  ["hup", "SIGHUP"],
  ["alarm", "SIGALRM"],
  ["interrupt", "SIGINT"],
  ["quit", "SIGQUIT"],
  ["term", "SIGTERM"],
  ["kill", "SIGKILL"],
  ["1", "SIGUSR1"],
  ["2", "SIGUSR2"],
];

/**
 * The signal whose word starts with `letter` (`h` → SIGHUP), or null.
 *
 * @example
 * ```ts
 * import { signalOfLetter } from "./signals.ts";
 * console.assert(signalOfLetter("k") === "SIGKILL");
 * console.assert(signalOfLetter("x") === null);
 * ```
 */
export function signalOfLetter(letter: string): SignalName | null {
  if (letter.length !== 1) return null;
  return SIGNAL_WORDS.find(([word]) => word[0] === letter)?.[1] ?? null;
}

/**
 * Signal numbers by OS, as kill(2) takes them: C nitro's control protocol
 * carries numbers, not names.
 */
const SIGNAL_NUMBERS: Record<SignalName, number> = Deno.build.os === "linux"
  ? {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGALRM: 14,
    SIGTERM: 15,
    SIGCONT: 18,
    SIGSTOP: 19,
  }
  : {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGALRM: 14,
    SIGTERM: 15,
    SIGSTOP: 17,
    SIGCONT: 19,
    SIGUSR1: 30,
    SIGUSR2: 31,
  };

/**
 * The number of a signal on this OS, as C nitro's kill(2) takes it.
 *
 * @example
 * ```ts
 * import { signalNumber } from "./signals.ts";
 * console.assert(signalNumber("SIGKILL") === 9);
 * ```
 */
export function signalNumber(name: SignalName): number {
  return SIGNAL_NUMBERS[name];
}
