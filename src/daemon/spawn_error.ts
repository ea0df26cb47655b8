/**
 * What a failed start of a script tells the service machine. A shortage of
 * the system (no process slot left in a pids cgroup, no memory, no file
 * descriptor) may pass: the start is retried after a delay, and the console
 * says `can't fork NAME/SCRIPT: errno=N`, as C nitro does. Anything else (a
 * script that is not executable, a missing interpreter) will not pass by
 * itself: FATAL, with the reason.
 *
 * @example
 * ```ts
 * import { spawnFailure } from "./spawn_error.ts";
 * const err = Object.assign(
 *   new Error("Failed to spawn '/bin/sh': Resource temporarily unavailable (os error 11)"),
 *   { code: "EAGAIN" },
 * );
 * console.assert(spawnFailure(err).reason === "errno=11");
 * ```
 *
 * @module
 */

import { message } from "../errors.ts";

/** Error codes of a start that may succeed later (as C nitro retries). */
const TRANSIENT = new Set([
  "EAGAIN",
  "ENOMEM",
  "EMFILE",
  "ENFILE",
  "EIO",
  "ETXTBSY",
]);

/** The `spawn-failed` input for the error a start threw. */
export function spawnFailure(
  err: unknown,
): { type: "spawn-failed"; reason: string; transient: boolean } {
  const text = message(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !TRANSIENT.has(code)) {
    return { type: "spawn-failed", reason: text, transient: false };
  }
  // Deno's message ends in "(os error N)": the number C nitro prints.
  const errno = /\(os error (\d+)\)/.exec(text)?.[1];
  const reason = errno === undefined ? code : `errno=${errno}`;
  return { type: "spawn-failed", reason, transient: true };
}
