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

/** Keeps the last `capacity` items, oldest first. */
export class Ring<T> implements RingBuffer<T> {
  #items: T[] = [];
  #next = 0;

  /** Make an empty ring that holds at most `capacity` items. */
  constructor(readonly capacity: number) {}

  /** Add an item, dropping the oldest when full. */
  push(item: T): void {
    if (this.capacity <= 0) return;
    if (this.#items.length < this.capacity) {
      this.#items.push(item);
    } else {
      this.#items[this.#next] = item;
      this.#next = (this.#next + 1) % this.capacity;
    }
  }

  /** The retained items, oldest first. */
  toArray(): T[] {
    return [
      ...this.#items.slice(this.#next),
      ...this.#items.slice(0, this.#next),
    ];
  }

  /** Forget every item. */
  clear(): void {
    this.#items = [];
    this.#next = 0;
  }

  /** How many items are retained. */
  get size(): number {
    return this.#items.length;
  }
}

/**
 * The event history: the first `bootCapacity` events after the last
 * {@link EventHistory.startBoot} (a new history counts as booted), and the
 * last `recentCapacity` events whenever they came. {@link toArray} merges
 * both in order, each event once; events between the two parts (after the
 * boot part filled, before the recent window) are the ones forgotten.
 *
 * @example
 * ```ts
 * import { EventHistory } from "./history.ts";
 * const h = new EventHistory<number>(2, 3);
 * for (let i = 1; i <= 10; i++) h.push(i);
 * console.assert(h.toArray().join() === "1,2,3,9,10");
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
   * @param recentCapacity size of the rolling window of recent events.
   * @param bootCapacity how many events after a boot are kept apart.
   * @param makeRing makes the rolling window (default: a {@link Ring}).
   */
  constructor(
    readonly recentCapacity: number,
    readonly bootCapacity: number = BOOT_HISTORY_SIZE,
    makeRing: (capacity: number) => RingBuffer<T> = (n) => new Ring<T>(n),
  ) {
    this.#recent = makeRing(recentCapacity);
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
