/**
 * The daemon's own `Deno.Command` children whose status has not settled.
 * As pid 1, nitro reaps every other zombie; these it must leave to Deno,
 * which reaps them by pid to settle `status` (a stolen one rejects).
 *
 * @module
 */

import { settledStatus } from "./wait_status.ts";

/** Pids of spawned children whose status has not settled yet. */
export class Children {
  #live = new Set<number>();

  /** Whether `pid` is a child of ours not reaped yet. */
  has(pid: number): boolean {
    return this.#live.has(pid);
  }

  /** How many there are. */
  get size(): number {
    return this.#live.size;
  }

  /** Record `pid` (in the same synchronous turn as `spawn()`). */
  add(pid: number): void {
    this.#live.add(pid);
  }

  /** `pid` was reaped by Deno. */
  delete(pid: number): void {
    this.#live.delete(pid);
  }

  /**
   * Record `child` as ours until it is reaped (call in the same synchronous
   * turn as `spawn()`); resolves with its raw wait status.
   */
  track(child: Deno.ChildProcess): Promise<number> {
    const pid = child.pid;
    this.#live.add(pid);
    return settledStatus(child).then((status) => {
      this.#live.delete(pid);
      return status;
    });
  }
}
