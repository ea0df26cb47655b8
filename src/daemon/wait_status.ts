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

/** The status reported when it was lost (an `exit 255` for people). */
export const LOST_STATUS: number = 0xff << 8;

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
  if (status.signal === null) return (status.code & 0xff) << 8;
  const signo = status.code - 128;
  return signo >= 1 && signo <= 0x7f ? signo : LOST_STATUS;
}

/**
 * Raw wait status from the error a `Deno.Command` status rejected with:
 * the signal number of "Invalid signal: N", else {@link LOST_STATUS}.
 */
export function waitStatusOfError(err: unknown): number {
  const text = err instanceof Error ? err.message : String(err);
  const match = /^Invalid signal: (\d+)$/.exec(text);
  const signo = match ? Number(match[1]) : 0;
  return signo >= 1 && signo <= 0x7f ? signo : LOST_STATUS;
}

/** The raw wait status of a child, whatever it died of. */
export function settledStatus(child: Deno.ChildProcess): Promise<number> {
  return child.status.then(waitStatus, waitStatusOfError);
}
