/**
 * A bounded in-memory history of events: the first events of the current
 * boot, kept apart, plus a rolling window of the most recent ones. Neither
 * part grows past its capacity, however long nitro runs, so `blame` and
 * `plot` can still see the whole boot hours later.
 *
 * @module
 */

/** How many events after {@link EventHistory.startBoot} are kept apart. */
export const BOOT_HISTORY_SIZE = 4096;

/** What {@link EventHistory} needs of its rolling window. */
export interface RingBuffer<T> {
  /** The most items it holds. */
  readonly capacity: number;
  /** How many items it holds. */
  readonly size: number;
  /** Add an item, dropping the oldest when full. */
  push(item: T): void;
  /** The retained items, oldest first. */
  toArray(): T[];
  /** Forget every item. */
  clear(): void;
}

/**
 * The event history: the first `bootCapacity` events after the last
 * {@link EventHistory.startBoot} (a new history counts as booted), and the
 * last events whenever they came, as many as the ring of recent ones holds. {@link toArray} merges
 * both in order, each event once; events between the two parts (after the
 * boot part filled, before the recent window) are the ones forgotten.
 *
 * @example
 * ```ts
 * import { EventHistory } from "./history.ts";
 * import { ServiceEventRing } from "./event_ring.ts";
 * const h = new EventHistory(new ServiceEventRing(2), 3);
 * for (let i = 1; i <= 10; i++) h.push({ name: "s", state: "UP", pid: i, time: i });
 * console.assert(h.toArray().map((e) => e.pid).join() === "1,2,3,9,10");
 * ```
 */
export class EventHistory<T> {
  #recent: RingBuffer<T>;
  #boot: T[] = [];
  /** Events pushed in all; event number `n` is the n-th pushed (from 0). */
  #total = 0;
  /** Number of the first event of the boot part. */
  #bootStart = 0;

  /**
   * @param recent the rolling window of recent events (empty).
   * @param bootCapacity how many events after a boot are kept apart.
   */
  constructor(
    recent: RingBuffer<T>,
    readonly bootCapacity: number = BOOT_HISTORY_SIZE,
  ) {
    this.#recent = recent;
  }

  /** Record an event. */
  push(item: T): void {
    if (this.#boot.length < this.bootCapacity) this.#boot.push(item);
    this.#recent.push(item);
    this.#total++;
  }

  /**
   * A boot begins (also a reboot): the events from now on fill the boot
   * part again. Events of the previous boot stay only in the recent window.
   */
  startBoot(): void {
    this.#boot = [];
    this.#bootStart = this.#total;
  }

  /** Every retained event, oldest first, each once. */
  toArray(): T[] {
    const recent = this.#recent.toArray();
    const recentStart = this.#total - recent.length;
    const bootEnd = this.#bootStart + this.#boot.length;
    // The recent window is one contiguous run of event numbers; the boot
    // part is another. Recent events before the boot, the boot part, then
    // recent events after the boot part.
    const before = recent.slice(0, Math.max(0, this.#bootStart - recentStart));
    const after = recent.slice(Math.max(0, bootEnd - recentStart));
    return [...before, ...this.#boot, ...after];
  }

  /** How many events are retained (what {@link toArray} returns). */
  get size(): number {
    const recentStart = this.#total - this.#recent.size;
    const bootEnd = this.#bootStart + this.#boot.length;
    const before = Math.min(
      this.#recent.size,
      Math.max(0, this.#bootStart - recentStart),
    );
    const after = this.#total - Math.max(bootEnd, recentStart);
    return before + this.#boot.length + Math.max(0, after);
  }
}
