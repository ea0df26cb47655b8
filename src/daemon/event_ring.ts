/**
 * The rolling window of service events, kept field by field in arrays made
 * once: recording an event allocates nothing.
 *
 * Why: events in the window live for its last 1,000 events, long enough
 * for V8 to move them to its old generation, where each dropped event is
 * garbage until a full collection. Kept as objects, they were about a
 * quarter of nitro's memory growth over 1,000 restarts of a service and its
 * logger (0.34 MB of 1.3 MB).
 *
 * @module
 */

import { type ServiceEvent, STATES } from "../protocol.ts";
import { BOOT_HISTORY_SIZE, EventHistory, type RingBuffer } from "./history.ts";

/**
 * The last `capacity` service events, oldest first.
 *
 * @example
 * ```ts
 * import { ServiceEventRing } from "./event_ring.ts";
 * const ring = new ServiceEventRing(2);
 * ring.push({ name: "a", state: "STARTING", notice: "STARTING", pid: 7, time: 1 });
 * ring.push({ name: "a", state: "UP", notice: "UP", pid: 7, time: 2 });
 * ring.push({ name: "b", state: "DELAY", notice: null, pid: null, time: 3 });
 * console.assert(ring.toArray().map((e) => e.time).join() === "2,3");
 * ```
 */
export class ServiceEventRing implements RingBuffer<ServiceEvent> {
  #names: string[];
  #states: Uint8Array;
  /** 0 for none (C nitro is silent), else 1 + the index in STATES. */
  #notices: Uint8Array;
  /** 0 for none: no process has pid 0. */
  #pids: Int32Array;
  #times: Float64Array;
  #next = 0;
  #size = 0;

  /** Make an empty ring that holds at most `capacity` events. */
  constructor(readonly capacity: number) {
    const n = Math.max(0, capacity);
    this.#names = new Array<string>(n).fill("");
    this.#states = new Uint8Array(n);
    this.#notices = new Uint8Array(n);
    this.#pids = new Int32Array(n);
    this.#times = new Float64Array(n);
  }

  /** How many events are retained. */
  get size(): number {
    return this.#size;
  }

  /** Add an event, dropping the oldest when full. */
  push(event: ServiceEvent): void {
    if (this.capacity <= 0) return;
    const i = this.#next;
    this.#names[i] = event.name;
    this.#states[i] = STATES.indexOf(event.state);
    const notice = event.notice === undefined ? event.state : event.notice;
    this.#notices[i] = notice === null ? 0 : 1 + STATES.indexOf(notice);
    this.#pids[i] = event.pid ?? 0;
    this.#times[i] = event.time;
    this.#next = (i + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The retained events, oldest first, as new objects. */
  toArray(): ServiceEvent[] {
    const first = this.#size < this.capacity ? 0 : this.#next;
    const out: ServiceEvent[] = [];
    for (let k = 0; k < this.#size; k++) {
      const i = (first + k) % this.capacity;
      const pid = this.#pids[i];
      const notice = this.#notices[i];
      out.push({
        name: this.#names[i],
        state: STATES[this.#states[i]],
        notice: notice === 0 ? null : STATES[notice - 1],
        pid: pid === 0 ? null : pid,
        time: this.#times[i],
      });
    }
    return out;
  }

  /** Forget every event (and the names they held on to). */
  clear(): void {
    this.#names.fill("");
    this.#next = 0;
    this.#size = 0;
  }
}

/**
 * nitro's event history: the first {@link BOOT_HISTORY_SIZE} events of the
 * boot and the last `recentCapacity`, the latter in a {@link ServiceEventRing}.
 */
export function serviceEventHistory(
  recentCapacity: number,
): EventHistory<ServiceEvent> {
  return new EventHistory(
    new ServiceEventRing(recentCapacity),
    BOOT_HISTORY_SIZE,
  );
}
