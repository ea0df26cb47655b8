/**
 * The notify directory, `notify/` beside the control socket: nitro's wire
 * interface for whoever waits on states (C nitroctl, nitro's behaviour
 * harness). A listener binds a Unix datagram socket there named
 * `SERVICE,ANYTHING` (a `/` in SERVICE written as `,`) or `ALL,ANYTHING`;
 * nitro sends it one packet per announced state of a matching service:
 * payload length (low, high byte), the state number, the name (no NUL).
 *
 * Sending never waits. Deno allows one send in flight per datagram socket,
 * and a send to a receiver whose queue is full stays in flight until it
 * reads: so each receiver gets a sending socket of its own (bound in nitro's
 * private runtime directory) and a short queue of packets behind the one in
 * flight ({@link QUEUED_PER_RECEIVER}); what does not fit is dropped, as the
 * kernel drops what does not fit a receiver's queue. A receiver that never
 * reads costs one socket and a few packets, never time; one that is gone
 * (connection refused) is unlinked, as C nitro does.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { type State, STATES } from "../protocol.ts";
import type { Notifier } from "./host.ts";
import {
  BIND_NAME,
  type Entry,
  lstatEntry,
  octal,
  ownUid,
  type RuntimeDir,
  UnsafePath,
} from "./runtime_dir.ts";

/** The notify directory that belongs to nitro's runtime directory. */
export function notifyDirOf(runtime: RuntimeDir): string {
  // The runtime directory lies beside the socket: `<socket>.d`.
  return join(dirname(runtime.path), "notify");
}

/**
 * Why `entry` cannot serve as the notify directory, or null: it must be a
 * real directory of nitro's uid that no group or other user can write to
 * (a `mkdir -p` with the usual umask, 0755, qualifies).
 */
export function notifyDirProblem(entry: Entry, uid: number): string | null {
  if (entry.kind !== "directory") return `not a directory (a ${entry.kind})`;
  if (entry.uid !== uid) {
    return `owned by uid ${entry.uid}, not nitro's uid ${uid}`;
  }
  if ((entry.mode & 0o022) !== 0) {
    return `writable by group or others (mode ${octal(entry.mode)})`;
  }
  return null;
}

/**
 * Whether the socket file `file` listens to `service`: `ALL,…`, or the
 * name (with `/` written as `,`) followed by `,`.
 *
 * @example
 * ```ts
 * import { listensTo } from "./notify_dir.ts";
 * console.assert(listensTo("web", "web,1234"));
 * console.assert(listensTo("web", "ALL,x") && !listensTo("web", "webx,1"));
 * ```
 */
export function listensTo(service: string, file: string): boolean {
  if (file.startsWith("ALL,")) return true;
  const prefix = service.replaceAll("/", ",");
  return file.length > prefix.length && file.startsWith(prefix) &&
    file[prefix.length] === ",";
}

/**
 * The packet announcing that `service` is in `state`, as C nitro sends it.
 *
 * @example
 * ```ts
 * import { packet } from "./notify_dir.ts";
 * console.assert(packet("web", "UP").join() === "3,0,4,119,101,98");
 * ```
 */
export function packet(service: string, state: State): Uint8Array {
  const name = new TextEncoder().encode(service);
  const bytes = new Uint8Array(3 + name.length);
  bytes[0] = name.length & 0xff;
  bytes[1] = 0;
  bytes[2] = STATES.indexOf(state) + 1;
  bytes.set(name, 3);
  return bytes;
}

/**
 * Packets that may wait behind the one in flight, per receiver: a burst
 * (a boot announces every service within a few milliseconds) fits; a
 * receiver that stopped reading holds no more than this.
 */
export const QUEUED_PER_RECEIVER = 64;

/** One receiver's sending socket and the packets waiting for it. */
interface Sender {
  conn: Deno.DatagramConn;
  path: string;
  to: string;
  /** Whether a packet is in flight. */
  busy: boolean;
  queue: Uint8Array[];
}

/** The notify directory of a running nitro. */
export class NotifyDir implements Notifier {
  readonly #senders = new Map<string, Sender>();
  #made = 0;

  private constructor(
    /** The notify directory. */
    readonly path: string,
    readonly runtime: RuntimeDir,
  ) {}

  /**
   * Create the notify directory (0700) if missing, or accept the one there;
   * throws {@link UnsafePath} naming it and the reason otherwise.
   */
  static open(runtime: RuntimeDir, uid: number = ownUid()): NotifyDir {
    const path = notifyDirOf(runtime);
    if (lstatEntry(path) === null) {
      try {
        Deno.mkdirSync(path, { mode: 0o700 });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) {
          throw new UnsafePath(`${path}: cannot create: ${reason(err)}`);
        }
      }
    }
    const entry = lstatEntry(path) ?? { kind: "other", uid: -1, mode: 0 };
    const problem = notifyDirProblem(entry, uid);
    if (problem !== null) throw new UnsafePath(`${path}: ${problem}`);
    return new NotifyDir(path, runtime);
  }

  announce(name: string, state: State): void {
    let files: string[];
    try {
      files = Array.from(Deno.readDirSync(this.path), (e) => e.name);
    } catch {
      return; // Removed by hand: nobody listens.
    }
    // Receivers gone from the directory need their sockets no more.
    if (this.#senders.size > 0) {
      const present = new Set(files);
      for (const file of this.#senders.keys()) {
        if (!present.has(file)) this.#drop(file);
      }
    }
    let bytes: Uint8Array | null = null;
    for (const file of files) {
      if (file.startsWith(".") || !listensTo(name, file)) continue;
      this.#send(file, bytes ??= packet(name, state));
    }
  }

  /** Close every sending socket. */
  close(): void {
    for (const file of [...this.#senders.keys()]) this.#drop(file);
  }

  #send(file: string, bytes: Uint8Array): void {
    const sender = this.#senderFor(file);
    if (sender === null) return;
    if (!sender.busy) return this.#flight(file, sender, bytes);
    // It has not taken the last one yet: queue this one, or lose it.
    if (sender.queue.length < QUEUED_PER_RECEIVER) sender.queue.push(bytes);
  }

  /** Send `bytes`; then the next queued packet, until none is left. */
  #flight(file: string, sender: Sender, bytes: Uint8Array): void {
    sender.busy = true;
    sender.conn.send(bytes, { transport: "unixpacket", path: sender.to })
      .then(
        () => {
          sender.busy = false;
          const next = sender.queue.shift();
          if (next !== undefined) this.#flight(file, sender, next);
        },
        (err) => {
          sender.busy = false;
          if (this.#senders.get(file) !== sender) return; // Dropped already.
          if (err instanceof Deno.errors.ConnectionRefused) {
            // Nobody reads there any more: remove it, as C nitro does.
            try {
              Deno.removeSync(sender.to);
            } catch {
              // Gone already.
            }
            this.#drop(file);
          } else if (err instanceof Deno.errors.NotFound) {
            this.#drop(file);
          } else {
            const next = sender.queue.shift();
            if (next !== undefined) this.#flight(file, sender, next);
          }
        },
      );
  }

  /** The sending socket for `file`, bound on first use; null if none can be. */
  #senderFor(file: string): Sender | null {
    const known = this.#senders.get(file);
    if (known !== undefined) return known;
    const path = this.runtime.pathOf(`${BIND_NAME}notify${this.#made++}`);
    try {
      Deno.removeSync(path);
    } catch {
      // Nothing left there.
    }
    let conn: Deno.DatagramConn;
    try {
      conn = Deno.listenDatagram({ transport: "unixpacket", path });
    } catch {
      return null; // Out of descriptors, say: this packet is lost.
    }
    const to = join(this.path, file);
    const sender = { conn, path, to, busy: false, queue: [] };
    this.#senders.set(file, sender);
    return sender;
  }

  #drop(file: string): void {
    const sender = this.#senders.get(file);
    if (sender === undefined) return;
    this.#senders.delete(file);
    try {
      sender.conn.close(); // A packet in flight is given up.
    } catch {
      // Closed already.
    }
    try {
      Deno.removeSync(sender.path);
    } catch {
      // Gone already.
    }
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
