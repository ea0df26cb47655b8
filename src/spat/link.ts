/**
 * Talking to C nitro over its datagram control socket. Each request gets a
 * reply socket of its own, bound in the notify directory beside the control
 * socket and named as C nitroctl names it, `SERVICE,PID_N`: C nitro answers
 * there, and, because the name starts with the service's, also sends every
 * state change of that service there while it exists. That is how waits
 * work. `ALL,PID_N` receives the changes of every service (`events`).
 *
 * A reply socket is removed when its request ends, however it ends, and by
 * {@link SpatLink.close} (nitroctl's `-t` and Ctrl-C). One left over by a
 * killed client with our pid is replaced: only we can have our pid.
 *
 * @module
 */

import { osMessage } from "../errors.ts";
import { NitroError } from "../client.ts";
import {
  type CommandTag,
  decodeReply,
  encodeRequest,
  type Reply,
} from "./codec.ts";

/** Largest datagram read; anything longer is dropped unread. */
export const MAX_DATAGRAM_BYTES = 64 * 1024;

/** How long C nitro may take to answer at all before it counts as gone. */
export const ANSWER_MS = 5000;

/** One request: what to send and when an answer settles it. */
export interface SpatCall<T> {
  command: CommandTag;
  /** The service name (the reply socket is named after it). */
  service?: string;
  /** The signal number, for {@link TAG.signal}. */
  signal?: number;
  /**
   * Called with every datagram that makes sense, in order of arrival:
   * a value settles the call, undefined waits for the next.
   */
  settle(reply: Reply): T | undefined;
}

/** The datagram socket type of Deno 2.9 (behind `--unstable-net`). */
type Listen = (
  options: { transport: "unixpacket"; path: string },
) => Deno.DatagramConn;

/** Numbers for the reply socket names of this process. */
let counter = 0;

/**
 * Every reply socket of this process that is open. Removed at exit too
 * (`Deno.exit` dispatches "unload"), so an exit while a request is pending
 * (nitroctl's `-t`) leaves none behind.
 */
const everyOpen = new Set<ReplySocket>();
let removedAtExit = false;

function track(socket: ReplySocket): void {
  if (!removedAtExit) {
    removedAtExit = true;
    globalThis.addEventListener("unload", () => {
      for (const s of everyOpen) s.close();
    });
  }
  everyOpen.add(socket);
}

/**
 * The control socket of a C nitro and the reply sockets open on it.
 *
 * @example
 * ```ts ignore
 * import { SpatLink } from "./link.ts";
 * import { TAG } from "./codec.ts";
 * const link = new SpatLink("/run/nitro/nitro.sock");
 * const ok = await link.call({ command: TAG.rescan, settle: (r) => r.kind });
 * ```
 */
export class SpatLink {
  /** The control socket. */
  readonly path: string;
  /** The notify directory, where reply sockets are bound. */
  readonly notifyDir: string;
  #open = new Set<ReplySocket>();

  constructor(path: string) {
    this.path = path;
    const slash = path.lastIndexOf("/");
    const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
    this.notifyDir = `${dir}/notify`;
  }

  /**
   * Send one request from a fresh reply socket and resolve with what
   * `settle` makes of the replies.
   *
   * @throws {NitroError} `unreachable` when nothing answers within
   *   {@link ANSWER_MS}, or the reply socket cannot be made; the signal's
   *   reason when `signal` aborts.
   */
  async call<T>(call: SpatCall<T>, signal?: AbortSignal): Promise<T> {
    const socket = this.#bind(call.service ?? "", signal);
    try {
      socket.expectAnswer(ANSWER_MS);
      await socket.send(
        encodeRequest(call.command, call.service, call.signal),
      );
      for await (const reply of socket.replies()) {
        socket.answered();
        const result = call.settle(reply);
        if (result !== undefined) return result;
      }
      throw socket.failure();
    } catch (error) {
      throw socket.failure(error);
    } finally {
      this.#release(socket);
    }
  }

  /**
   * The state changes of every service, as they happen, until `signal`
   * aborts (the generator then returns) or the loop ends.
   */
  async *changes(
    signal?: AbortSignal,
  ): AsyncGenerator<Reply & { kind: "state" }> {
    const socket = this.#bind("ALL", signal);
    try {
      for await (const reply of socket.replies()) {
        if (reply.kind === "state") yield reply;
      }
      if (!signal?.aborted) throw socket.failure();
    } finally {
      this.#release(socket);
    }
  }

  /**
   * Close and remove every reply socket open now; their requests fail.
   * Idempotent. (Later requests may still open new ones.)
   */
  close(): void {
    for (const socket of this.#open) this.#release(socket);
  }

  #bind(service: string, signal?: AbortSignal): ReplySocket {
    signal?.throwIfAborted();
    const path = `${this.notifyDir}/${service},${Deno.pid}_${counter++}`;
    const socket = new ReplySocket(this.path, path, signal);
    track(socket);
    this.#open.add(socket);
    return socket;
  }

  #release(socket: ReplySocket): void {
    this.#open.delete(socket);
    socket.close();
  }
}

/** A bound reply socket. */
class ReplySocket {
  readonly path: string;
  readonly #control: string;
  readonly #conn: Deno.DatagramConn;
  #signal?: AbortSignal;
  #onAbort = () => this.#end(this.#signal!.reason);
  #timer?: ReturnType<typeof setTimeout>;
  #why: unknown;
  #closed = false;

  constructor(control: string, path: string, signal?: AbortSignal) {
    this.#control = control;
    this.path = path;
    this.#conn = bindReplacing(path);
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Fail unless some datagram that makes sense arrives within `ms`. */
  expectAnswer(ms: number): void {
    this.#timer = setTimeout(() =>
      this.#end(
        new NitroError(
          "unreachable",
          `nitro at ${this.#control} does not answer ` +
            `(nothing within ${ms / 1000} s)`,
        ),
      ), ms);
  }

  /** An answer came: no more deadline. */
  answered(): void {
    clearTimeout(this.#timer);
  }

  async send(bytes: Uint8Array): Promise<void> {
    try {
      await this.#conn.send(bytes, {
        transport: "unixpacket",
        path: this.#control,
      });
    } catch (error) {
      if (this.#closed) throw this.failure();
      throw new NitroError(
        "unreachable",
        `cannot reach nitro at ${this.#control}: ${osMessage(error)}`,
        { cause: error },
      );
    }
  }

  /** Datagrams that make sense; garbage and oversized ones are skipped. */
  async *replies(): AsyncGenerator<Reply> {
    const buffer = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    while (!this.#closed) {
      let bytes: Uint8Array;
      try {
        [bytes] = await this.#conn.receive(buffer);
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      if (bytes.length > MAX_DATAGRAM_BYTES) continue;
      const reply = decodeReply(bytes);
      if (reply !== null) yield reply;
    }
  }

  /** Why the socket ended (the timeout, the abort), else `error`. */
  failure(error?: unknown): unknown {
    return this.#why ?? error ??
      new NitroError("disconnected", "connection closed");
  }

  /** End with a reason: a pending receive then returns. */
  #end(why: unknown): void {
    this.#why ??= why;
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    everyOpen.delete(this);
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    try {
      Deno.removeSync(this.path);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Bind a datagram socket at `path`, replacing a socket file left there by
 * a client that died with our pid.
 */
function bindReplacing(path: string): Deno.DatagramConn {
  const listen = (Deno as unknown as { listenDatagram?: Listen })
    .listenDatagram;
  if (listen === undefined) {
    throw new NitroError(
      "permission",
      "talking to C nitro needs Deno's --unstable-net (datagram sockets)",
    );
  }
  for (let attempt = 0;; attempt++) {
    try {
      return listen({ transport: "unixpacket", path });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse && attempt === 0) {
        try {
          Deno.removeSync(path);
          continue;
        } catch {
          // Fall through to the report.
        }
      }
      if (error instanceof Deno.errors.NotCapable) {
        throw new NitroError(
          "permission",
          `cannot bind a reply socket at ${path}: Deno needs ` +
            `--allow-read and --allow-write for its directory, and ` +
            `--allow-net unscoped (reply socket names carry the pid)`,
          { cause: error },
        );
      }
      throw new NitroError(
        "unreachable",
        `could not bind socket to '${path}': ${osMessage(error)}`,
        { cause: error },
      );
    }
  }
}
