/**
 * Sending a signal to a process or a process group, quietly.
 *
 * @module
 */

import type { SignalName } from "../protocol.ts";

/**
 * Signal a process (or, negative, a process group). Returns false when it
 * is gone already (its exit is on the way, or it was reaped).
 */
export function kill(
  target: number,
  signal: SignalName | Deno.Signal,
): boolean {
  try {
    Deno.kill(target, signal);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    // ESRCH shows as NotFound; EPERM as PermissionDenied: not ours to signal.
    if (err instanceof Deno.errors.PermissionDenied) return false;
    throw err;
  }
}
