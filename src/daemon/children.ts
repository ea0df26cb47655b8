/**
 * The daemon's own `Deno.Command` children whose status has not settled.
 * As pid 1, nitro reaps every other zombie; these it must leave to Deno,
 * which reaps them by pid to settle `status` (a stolen one rejects).
 *
 * @module
 */

import { settledStatus } from "./wait_status.ts";

/** Pids of spawned children whose status has not settled yet. */
export const liveChildren: Set<number> = new Set();

/**
 * Record `child` as ours until it is reaped (call in the same synchronous
 * turn as `spawn()`); resolves with its raw wait status.
 */
export function track(child: Deno.ChildProcess): Promise<number> {
  const pid = child.pid;
  liveChildren.add(pid);
  return settledStatus(child).then((status) => {
    liveChildren.delete(pid);
    return status;
  });
}
