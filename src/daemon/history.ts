/**
 * A bounded in-memory history of events: a ring buffer that never grows past
 * its capacity, however long nitro runs.
 *
 * @module
 */

/** Keeps the last `capacity` items, oldest first. */
export class Ring<T> {
  #items: T[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  /** Add an item, dropping the oldest when full. */
  push(item: T): void {
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

  get size(): number {
    return this.#items.length;
  }
}
