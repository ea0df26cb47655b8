/**
 * The raw wait status of a child, from what `Deno.Command` reports.
 *
 * Deno gives `{ code, signal }`: for a death by signal N, `code` is 128 + N
 * and `signal` its name; for a normal exit, `signal` is null. For a signal
 * Deno has no name for (the realtime ones, 34-64) `status` rejects instead,
 * with a `TypeError` "Invalid signal: N" - after the child was reaped, so the
 * number in the message is all that is left of its status.
 *
 * @module
 */

import { exitedStatus, signaledStatus } from "../core/exit_status.ts";
import { message } from "../errors.ts";

/** The status reported when it was lost (an `exit 255` for people). */
export const LOST_STATUS: number = exitedStatus(0xff);

/**
 * Raw wait status (`code << 8` for an exit, the signal number for a death by
 * a signal) from a settled `Deno.CommandStatus`. Any signal works, named or
 * not: the number comes from `code - 128`, not from a table.
 *
 * @example
 * ```ts
 * import { waitStatus } from "./wait_status.ts";
 * console.assert(waitStatus({ code: 3, signal: null }) === 3 << 8);
 * console.assert(waitStatus({ code: 159, signal: "SIGSYS" }) === 31);
 * ```
 */
export function waitStatus(
  status: { code: number; signal: Deno.Signal | null },
): number {
  if (status.signal === null) return exitedStatus(status.code);
  return signalNumber(status.code - 128);
}

/**
 * Raw wait status from the error a `Deno.Command` status rejected with:
 * the signal number of "Invalid signal: N", else {@link LOST_STATUS}.
 */
export function waitStatusOfError(err: unknown): number {
  const match = /^Invalid signal: (\d+)$/.exec(message(err));
  return signalNumber(match ? Number(match[1]) : 0);
}

/** The wait status of a death by `signo`, or LOST_STATUS if it is none. */
function signalNumber(signo: number): number {
  return signo >= 1 && signo <= 0x7f ? signaledStatus(signo) : LOST_STATUS;
}

/** The raw wait status of a child, whatever it died of. */
export function settledStatus(child: Deno.ChildProcess): Promise<number> {
  return child.status.then(waitStatus, waitStatusOfError);
}
