/**
 * The notify directory, `notify/` beside the control socket: nitro's wire
 * interface for whoever waits on states (C nitroctl, nitro's behaviour
 * harness). A listener binds a Unix datagram socket there named
 * `SERVICE,ANYTHING` (a `/` in SERVICE written as `,`) or `ALL,ANYTHING`;
 * nitro sends it one packet per announced state of a matching service:
 * payload length (low, high byte), the state number, the name (no NUL).
 *
 * Sending never waits. C nitro sends with MSG_DONTWAIT and loses what does
 * not fit the receiver's queue (`net.unix.max_dgram_qlen`, 10 by default).
 * Deno has no such send: one to a full queue stays in flight until the
 * receiver reads, Deno's runtime retrying it all along (a core's quarter
 * for a few stuck receivers), closing the socket does not end it, and Deno
 * allows one send in flight per socket. So:
 * - each receiver gets a sending socket of its own, bound once in nitro's
 *   private runtime directory, and a short queue behind the packet in
 *   flight ({@link QUEUED_PER_RECEIVER}), for bursts; what does not fit is
 *   lost;
 * - packets go to the receiver through a symlink of nitro's in that same
 *   private directory; a packet still in flight after {@link STALL_MS}, at
 *   two looks, means the receiver does not read: the symlink is removed, which ends
 *   the send (the retry finds no path), and the receiver gets nothing for a
 *   while - 1 s, doubled at each stall up to {@link MAX_STALLED_MS}; after
 *   that an announcement tries again (at most
 *   {@link RETRIES_PER_ANNOUNCEMENT} receivers per announcement).
 * A receiver that never reads thus costs a short attempt now and then; one
 * that is gone (connection refused) is unlinked, as C nitro does.
 *
 * The directory is read again only when its modification time says it
 * changed: reading it costs far more than a stat.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { message } from "../errors.ts";
import { type State, STATES } from "../protocol.ts";
import type { Notifier } from "./host.ts";
import {
  BIND_NAME,
  type Entry,
  lstatEntry,
  octal,
  ownUid,
  type RuntimeDir,
  toEntry,
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

/** How long a packet may stay in flight before its receiver counts as stalled. */
export const STALL_MS = 50;

/** How long a receiver that stalled once gets nothing. */
export const STALLED_MS = 1000;

/** The longest a receiver that keeps stalling gets nothing. */
export const MAX_STALLED_MS = 30_000;

/**
 * Receivers served at most: each costs nitro a socket (an fd), so a
 * directory filled with thousands of entries must not use up nitro's fds
 * (and with them its forks). Those beyond get nothing.
 */
export const MAX_RECEIVERS = 256;

/** Stalled receivers tried again by one announcement, at most. */
export const RETRIES_PER_ANNOUNCEMENT = 1;

/** One receiver: nitro's socket and symlink for it, and what waits. */
interface Sender {
  /** nitro's sending socket; null until first needed, or if none could be. */
  conn: Deno.DatagramConn | null;
  /** Where that socket is bound. */
  bound: string;
  /** nitro's symlink to the receiver, which packets are sent through. */
  link: string;
  /** The receiver's socket in the notify directory. */
  to: string;
  /** When the packet in flight was handed over; null: none is. */
  since: number | null;
  /**
   * The packet in flight was found old at a look: at the next look (one
   * more turn of the event loop at least, so a busy nitro does not mistake
   * its own delay for the receiver's) it counts as stalled.
   */
  suspect: boolean;
  /** The link was removed to end a send that did not go through. */
  cancelled: boolean;
  queue: Uint8Array[];
  /** Until when it gets nothing (it did not read); 0: it reads. */
  stalledUntil: number;
  /** How long it got nothing after its last stall. */
  stalledFor: number;
}

/** The notify directory of a running nitro. */
export class NotifyDir implements Notifier {
  readonly #senders = new Map<string, Sender>();
  #made = 0;
  /** The directory's entries, and its mtime and the time they were read. */
  #listing: { files: string[]; mtime: number; readAt: number } | null = null;
  /** Stalled receivers this announcement may still try again. */
  #retries = 0;
  /** The look for stalled receivers, while packets are in flight. */
  #sweep: ReturnType<typeof setTimeout> | null = null;

  private constructor(
    /** The notify directory. */
    readonly path: string,
    readonly runtime: RuntimeDir,
    readonly uid: number,
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
          throw new UnsafePath(`${path}: cannot create: ${message(err)}`);
        }
      }
    }
    const entry = lstatEntry(path) ?? { kind: "other", uid: -1, mode: 0 };
    const problem = notifyDirProblem(entry, uid);
    if (problem !== null) throw new UnsafePath(`${path}: ${problem}`);
    return new NotifyDir(path, runtime, uid);
  }

  announce(name: string, state: State): void {
    const files = this.#files();
    if (files === null) return; // Removed by hand: nobody listens.
    this.#retries = RETRIES_PER_ANNOUNCEMENT;
    let bytes: Uint8Array | null = null;
    for (const file of files) {
      if (file.startsWith(".") || !listensTo(name, file)) continue;
      if (
        this.#senders.size >= MAX_RECEIVERS && !this.#senders.has(file)
      ) continue;
      this.#send(file, bytes ??= packet(name, state));
    }
  }

  /** Close every sending socket and remove nitro's links. */
  close(): void {
    if (this.#sweep !== null) clearTimeout(this.#sweep);
    this.#sweep = null;
    for (const file of [...this.#senders.keys()]) this.#drop(file);
  }

  /**
   * The entries of the directory, read again only if it changed; null, and
   * every receiver let go, when it is gone or no longer passes the checks it
   * passed at start (removed while nitro ran and made again by somebody
   * else, or a symlink put in its place).
   */
  #files(): string[] | null {
    let mtime: number;
    try {
      const info = Deno.lstatSync(this.path);
      if (notifyDirProblem(toEntry(info), this.uid) !== null) {
        return this.#unlisted();
      }
      mtime = info.mtime?.getTime() ?? NaN;
    } catch {
      return this.#unlisted();
    }
    const cached = this.#listing;
    // mtime has millisecond precision here: a listing read in the same
    // millisecond as the last change may miss a change in that millisecond.
    if (cached?.mtime === mtime && cached.readAt > mtime) return cached.files;
    const readAt = Date.now();
    let files: string[];
    try {
      files = Array.from(Deno.readDirSync(this.path), (e) => e.name);
    } catch {
      // Out of fds, say: letting go of the receivers' sockets frees some.
      return this.#unlisted();
    }
    this.#listing = { files, mtime, readAt };
    // Receivers gone from the directory need their sockets no more.
    if (this.#senders.size > 0) {
      const present = new Set(files);
      for (const file of this.#senders.keys()) {
        if (!present.has(file)) this.#drop(file);
      }
    }
    return files;
  }

  /** No listing to go by: nobody is sent to, and nothing is held for them. */
  #unlisted(): null {
    this.#listing = null;
    for (const file of [...this.#senders.keys()]) this.#drop(file);
    return null;
  }

  #send(file: string, bytes: Uint8Array): void {
    const sender = this.#senderFor(file);
    if (sender.stalledUntil !== 0) {
      if (sender.stalledUntil > performance.now()) return; // Lost.
      if (sender.since !== null || this.#retries === 0) return; // Lost.
      this.#retries--;
    }
    if (sender.conn === null && !this.#bind(sender)) return;
    if (sender.since === null) return this.#flight(file, sender, bytes);
    // It has not taken the last one yet: queue this one, or lose it.
    if (sender.queue.length < QUEUED_PER_RECEIVER) sender.queue.push(bytes);
  }

  /** Send `bytes`; then the next queued packet, until none is left. */
  #flight(file: string, sender: Sender, bytes: Uint8Array): void {
    sender.since = performance.now();
    sender.suspect = false;
    this.#sweepLater();
    sender.conn!.send(bytes, { transport: "unixpacket", path: sender.link })
      .then(
        () => {
          sender.since = null;
          sender.stalledUntil = 0; // It reads (again).
          sender.stalledFor = 0;
          const next = sender.queue.shift();
          if (next !== undefined) this.#flight(file, sender, next);
        },
        (err) => {
          sender.since = null;
          if (this.#senders.get(file) !== sender) return; // Dropped already.
          if (sender.cancelled) {
            // Ended on purpose (it stalled): the link is for the next try.
            sender.cancelled = false;
            this.#makeLink(sender);
          } else if (err instanceof Deno.errors.ConnectionRefused) {
            // Nobody reads there any more: remove it, as C nitro does.
            try {
              Deno.removeSync(sender.to);
            } catch {
              // Gone already.
            }
            this.#drop(file);
          } else if (err instanceof Deno.errors.NotFound) {
            this.#drop(file); // The receiver is gone.
          } else {
            const next = sender.queue.shift();
            if (next !== undefined) this.#flight(file, sender, next);
          }
        },
      );
  }

  /** Look for stalled receivers {@link STALL_MS} from now, once. */
  #sweepLater(): void {
    if (this.#sweep !== null) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = null;
      const now = performance.now();
      let inFlight = false;
      for (const sender of this.#senders.values()) {
        if (sender.since === null || sender.cancelled) continue;
        if (now - sender.since < STALL_MS || !sender.suspect) {
          sender.suspect = now - sender.since >= STALL_MS;
          inFlight = true;
          continue;
        }
        // It does not read: end the send (its retry finds no path), lose
        // what waits, and leave it alone for a while.
        sender.cancelled = true;
        this.#removeLink(sender);
        sender.queue = [];
        sender.stalledFor = Math.min(
          MAX_STALLED_MS,
          sender.stalledFor === 0 ? STALLED_MS : 2 * sender.stalledFor,
        );
        sender.stalledUntil = now + sender.stalledFor;
      }
      if (inFlight) this.#sweepLater();
    }, STALL_MS);
  }

  /** The sender for `file`; its socket is bound when it is first needed. */
  #senderFor(file: string): Sender {
    const known = this.#senders.get(file);
    if (known !== undefined) return known;
    const id = this.#made++;
    const sender: Sender = {
      conn: null,
      bound: this.runtime.pathOf(`${BIND_NAME}notify${id}`),
      link: this.runtime.pathOf(`${BIND_NAME}to${id}`),
      to: join(this.path, file),
      since: null,
      suspect: false,
      cancelled: false,
      queue: [],
      stalledUntil: 0,
      stalledFor: 0,
    };
    this.#senders.set(file, sender);
    return sender;
  }

  /** Bind the sender's socket and make its link; false if impossible. */
  #bind(sender: Sender): boolean {
    for (const path of [sender.bound, sender.link]) {
      try {
        Deno.removeSync(path);
      } catch {
        // Nothing left there.
      }
    }
    try {
      sender.conn = Deno.listenDatagram({
        transport: "unixpacket",
        path: sender.bound,
      });
    } catch {
      return false; // Out of descriptors, say: the packet is lost.
    }
    return this.#makeLink(sender);
  }

  #makeLink(sender: Sender): boolean {
    try {
      Deno.symlinkSync(sender.to, sender.link);
      return true;
    } catch {
      return false;
    }
  }

  #removeLink(sender: Sender): void {
    try {
      Deno.removeSync(sender.link);
    } catch {
      // Gone already.
    }
  }

  #drop(file: string): void {
    const sender = this.#senders.get(file);
    if (sender === undefined) return;
    this.#senders.delete(file);
    // A send in flight ends when its retry finds no link.
    this.#removeLink(sender);
    if (sender.conn === null) return;
    try {
      sender.conn.close();
    } catch {
      // Closed already.
    }
    try {
      Deno.removeSync(sender.bound);
    } catch {
      // Gone already.
    }
  }
}
