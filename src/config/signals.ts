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
