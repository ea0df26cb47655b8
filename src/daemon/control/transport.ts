/**
 * The control socket's transport: connections carrying lines, bounded
 * whatever clients do. What a line means is the {@link LineHandler}'s
 * business (requests.ts); this module keeps the table of connections,
 * their queues, their timers, and who gives way when the table is full.
 *
 * - At most {@link TransportLimits}.clients request/response connections
 *   and, apart from them, {@link TransportLimits}.subscribers followers of
 *   a stream. When full, the connection idle the longest gives way to a new
 *   one; failing that, the one that has held nothing but parked requests
 *   (waits) the longest; when every one is busy, the new one is refused
 *   with a `busy` line.
 * - A connection that sends nothing is closed after a few seconds, one with
 *   nothing in flight after a minute.
 * - Each connection's outgoing queue is bounded in bytes: over the bound
 *   the client is dropped.
 * - Lines are not read while a connection's replies are not flowing (a
 *   client that leaves them unread is dropped), while it has
 *   {@link TransportLimits}.inFlight requests in flight, or while its
 *   parked requests and queued replies hold {@link TransportLimits}.pauseBytes.
 * - A connection that has served lines for {@link SLICE_MS} yields to the
 *   event loop before the next: however many lines a client pipelines,
 *   other clients and supervision go on.
 *
 * @module
 */

import { encodeLine, LineSplitter } from "../../framing.ts";
import {
  type ErrorResponse,
  MAX_REQUEST_BYTES,
  type ServerLine,
} from "../../protocol.ts";
import { WriteQueue } from "../write_queue.ts";

/** The bounds of the transport. */
export interface TransportLimits {
  /** Request/response connections served at once. */
  clients: number;
  /** Stream followers served at once (apart from `clients`). */
  subscribers: number;
  /** A connection that sent no line for this long is closed (ms). */
  firstRequestMs: number;
  /** A connection with nothing in flight for this long is closed (ms). */
  idleMs: number;
  /** Bytes a connection may have queued for writing before it is dropped. */
  queueBytes: number;
  /**
   * Lines are not read while this many bytes wait to be written, or are
   * held by the connection's parked requests.
   */
  pauseBytes: number;
  /** Lines are not read while this many requests are in flight. */
  inFlight: number;
  /** A paused connection whose output does not move this long is dropped. */
  stallMs: number;
}

/**
 * How long a connection serves lines before it lets the event loop turn.
 * Short enough that other clients and supervision barely notice one
 * client's pipelined requests; long enough that cheap requests are not
 * slowed by a turn each (a turn costs a millisecond or two).
 */
export const SLICE_MS = 10;

/** What a {@link LineHandler} sees of one connection. */
export interface Channel {
  /** Queue a line for the client (dropped silently once closed). */
  send(line: ServerLine): void;
  /** A request begins; its ticket says when it ends. */
  begin(): Ticket;
  /** Run `cleanup` when the connection closes; returns its remover. */
  onClose(cleanup: () => void): () => void;
  /** Make this connection a stream follower; false when they are too many. */
  follow(): boolean;
}

/** One request in flight on a connection. */
export interface Ticket {
  /**
   * The request now only waits for something outside the connection (a
   * state of a service), holding about `bytes` of memory until it ends.
   * The bytes count against the connection's budget; a connection with
   * nothing but parked requests gives way like an idle one.
   */
  park(bytes: number): void;
  /** The request is answered (a second call does nothing). */
  end(): void;
}

/** One line a client sent. */
export interface ReceivedLine {
  /** The line without its newline. */
  text: string;
  /** It was not valid UTF-8 (see framing.ts). */
  lossy: boolean;
  /**
   * When it was read from the socket (performance.now()): the client
   * wrote it before then.
   */
  receivedAt: number;
}

/** The meaning of lines: answers each one through its {@link Channel}. */
export interface LineHandler {
  /** Serve one line; resolves when the next one may be served. */
  serve(channel: Channel, line: ReceivedLine): Promise<void>;
}

/** Options of {@link serveLines}. */
export interface ServeOptions {
  handler: LineHandler;
  limits: TransportLimits;
  /** Where a bug of nitro's is told (nitro's console). */
  report: (during: string, err: unknown) => void;
}

/** Serve connections from `listener` until it is closed. */
export async function serveLines(
  listener: Deno.Listener,
  options: ServeOptions,
): Promise<void> {
  const table = new Table(options);
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (err instanceof Deno.errors.BadResource) break; // Listener closed.
      // Out of fds, for one: say so, and try again a little later.
      options.report("accepting a connection", err);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    table.admit(conn);
  }
  table.closeAll();
}

/**
 * Errors that only mean the peer went away (or we closed the connection
 * ourselves while a read or write was pending).
 */
function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.BadResource;
}

/** The set of connections, and who gives way when it is full. */
class Table {
  readonly options: ServeOptions;
  /** Request/response connections (new ones included), oldest first. */
  readonly clients = new Set<Connection>();
  /** Stream followers. */
  readonly subscribers = new Set<Connection>();

  constructor(options: ServeOptions) {
    this.options = options;
  }

  admit(conn: Deno.Conn): void {
    const { limits } = this.options;
    if (this.clients.size >= limits.clients) {
      const victim = this.#longestIdle();
      if (victim === null) {
        const count = limits.clients;
        this.#refuse(conn, `too many clients: ${count} connections are busy`);
        return;
      }
      victim.busy("too many clients: closed to make room for a new one");
    }
    const connection = new Connection(conn, this);
    this.clients.add(connection);
    connection.serve();
  }

  /** Make `connection` a follower; false when they are too many. */
  follow(connection: Connection): boolean {
    if (this.subscribers.has(connection)) return true;
    if (this.subscribers.size >= this.options.limits.subscribers) return false;
    this.clients.delete(connection);
    this.subscribers.add(connection);
    return true;
  }

  forget(connection: Connection): void {
    this.clients.delete(connection);
    this.subscribers.delete(connection);
  }

  closeAll(): void {
    for (const c of [...this.clients, ...this.subscribers]) {
      c.close({ flush: true });
    }
  }

  /**
   * Who gives way: the connection idle the longest, else the one holding
   * only parked requests the longest; null when every one is busy.
   */
  #longestIdle(): Connection | null {
    let best: Connection | null = null;
    const rank = (c: Connection) => [c.parked ? 1 : 0, c.quietSince!];
    for (const c of this.clients) {
      if (c.quietSince === null) continue;
      if (best === null) best = c;
      else {
        const [a, b] = [rank(c), rank(best)];
        if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) best = c;
      }
    }
    return best;
  }

  /** Turn a connection away with a `busy` line. */
  #refuse(conn: Deno.Conn, message: string): void {
    const response: ErrorResponse = {
      ok: false,
      error: { code: "busy", message },
    };
    conn.write(encodeLine(response)).catch((err) => {
      // Gone already, it needs no answer; anything else is a bug.
      if (!isDisconnect(err)) this.options.report("refusing a client", err);
    }).finally(() => this.closeQuietly(conn));
  }

  /** Close a connection that may be closed already. */
  closeQuietly(conn: Deno.Conn): void {
    try {
      conn.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) {
        this.options.report("closing a connection", err);
      }
    }
  }
}

/** Options of {@link Connection.close}. */
interface CloseOptions {
  /** Write what is queued first (unless that is much, or does not move). */
  flush?: boolean;
}

/** One connected client. */
class Connection implements Channel {
  #conn: Deno.Conn;
  #table: Table;
  #limits: TransportLimits;
  #queue: WriteQueue;
  #closed = false;
  /** Whether any line came in: a silent connection is closed early. */
  #spoke = false;
  /** Requests begun and not ended, parked ones included. */
  #inFlight = 0;
  /** Requests parked, and the bytes they hold. */
  parked = 0;
  #parkedBytes = 0;
  /**
   * Since when nothing but parked requests is in flight (performance.now());
   * null: busy.
   */
  quietSince: number | null = performance.now();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #cleanups = new Set<() => void>();
  /** Resumes reading once a request ends (or the connection closes). */
  #roomMade: (() => void) | null = null;

  constructor(conn: Deno.Conn, table: Table) {
    this.#conn = conn;
    this.#table = table;
    this.#limits = table.options.limits;
    this.#queue = new WriteQueue(conn, {
      maxBytes: this.#limits.queueBytes,
      onError: (err) => {
        if (!this.#closed && !isDisconnect(err)) {
          table.options.report("writing an answer", err);
        }
        this.close();
      },
    });
  }

  /** Read and serve lines until the connection ends. */
  async serve(): Promise<void> {
    this.#armIdle();
    const split = new LineSplitter(MAX_REQUEST_BYTES);
    const buffer = new Uint8Array(8192);
    const { handler, report } = this.#table.options;
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        // A read lets the event loop turn: the slice begins.
        const receivedAt = performance.now();
        let slice = receivedAt;
        for (const frame of split.push(buffer.subarray(0, n))) {
          if (this.#closed) return;
          if (frame.kind === "too-long") return this.#tooLong();
          if (frame.text.trim() === "") continue;
          this.#spoke = true;
          const { text, lossy } = frame;
          await handler.serve(this, { text, lossy, receivedAt });
          this.#armIdle();
          if (performance.now() - slice >= SLICE_MS) {
            await nextTurn();
            slice = performance.now();
          }
          await this.#room();
        }
      }
    } catch (err) {
      if (!this.#closed && !isDisconnect(err)) {
        report("reading a request", err);
      }
    } finally {
      this.close({ flush: true });
    }
  }

  send(line: ServerLine): void {
    if (this.#closed) return;
    // Over the bound: a client that lets this much pile up gets no more.
    if (!this.#queue.push(encodeLine(line))) this.close();
  }

  begin(): Ticket {
    this.#inFlight++;
    this.quietSince = null;
    clearTimeout(this.#idleTimer);
    let ended = false;
    let held: number | null = null;
    return {
      park: (bytes) => {
        if (ended || held !== null) return;
        held = bytes;
        this.parked++;
        this.#parkedBytes += bytes;
        this.#quiet();
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.#inFlight--;
        if (held !== null) {
          this.parked--;
          this.#parkedBytes -= held;
        }
        this.#armIdle();
        this.#quiet();
        this.#roomMade?.();
      },
    };
  }

  onClose(cleanup: () => void): () => void {
    this.#cleanups.add(cleanup);
    return () => this.#cleanups.delete(cleanup);
  }

  follow(): boolean {
    return this.#table.follow(this);
  }

  /** Close the connection, after writing what is queued with `flush`. */
  close(options: CloseOptions = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#table.forget(this);
    clearTimeout(this.#idleTimer);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups.clear();
    this.#roomMade?.();
    const queue = this.#queue;
    if (
      options.flush && queue.writing && queue.queued <= this.#limits.pauseBytes
    ) {
      // Bounded: a client that reads nothing does not keep it open.
      queue.drained(this.#limits.stallMs)
        .then(() => this.#table.closeQuietly(this.#conn));
    } else {
      queue.clear();
      this.#table.closeQuietly(this.#conn);
    }
  }

  /** Tell the client it must go (code `busy`), and close. */
  busy(message: string): void {
    this.send({ ok: false, error: { code: "busy", message } });
    this.close({ flush: true });
  }

  #tooLong(): void {
    this.send({
      ok: false,
      error: {
        code: "too-long",
        message: `request longer than ${MAX_REQUEST_BYTES} bytes`,
      },
    });
    this.close({ flush: true });
  }

  /** Mark the connection quiet when all it has in flight is parked. */
  #quiet(): void {
    if (this.quietSince === null && this.#inFlight === this.parked) {
      this.quietSince = performance.now();
    }
  }

  /** Close a connection that stays silent, or idle, too long. */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#inFlight > 0 || this.#closed) return;
    this.quietSince = performance.now();
    const ms = this.#spoke ? this.#limits.idleMs : this.#limits.firstRequestMs;
    this.#idleTimer = setTimeout(() => this.close({ flush: true }), ms);
  }

  /**
   * Resolves once the next line may be read: replies flow, and the requests
   * in flight are fewer than the bound and hold less than the budget. A
   * client that leaves its replies unread is dropped after a while.
   */
  async #room(): Promise<void> {
    const limits = this.#limits;
    while (!this.#closed) {
      const queued = this.#queue.queued;
      if (queued >= limits.pauseBytes) {
        if (!(await this.#queue.moved(limits.stallMs))) this.close();
      } else if (
        this.#inFlight >= limits.inFlight ||
        queued + this.#parkedBytes >= limits.pauseBytes
      ) {
        // Until a request ends: its answer or its memory makes room.
        await new Promise<void>((resolve) => this.#roomMade = resolve);
        this.#roomMade = null;
      } else return;
    }
  }
}

/**
 * Resolves after the event loop has had a turn with I/O and timers. (A
 * timer, because `setImmediate` polls I/O only every few dozen calls.)
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
