/**
 * A typed client for nitro's control socket (see {@link ./protocol.ts}).
 *
 * One {@link NitroClient} is one connection. Requests carry an incrementing
 * `id` and answers are matched by it, so several requests may be in flight
 * at once. {@link NitroClient.events} opens a connection of its own, because
 * the daemon streams events until that connection is closed. Every line the
 * daemon sends is validated ({@link parseServerLine}) before it is used.
 *
 * The typed methods throw a {@link NitroError} whenever a request did not
 * fully succeed: the daemon refused it, one of several services is unknown,
 * a wait ended FATAL, a signal found no process. {@link NitroClient.send}
 * is the raw request, for programs (like nitroctl) that report partial
 * success themselves.
 *
 * @example Start a service and list everything
 * ```ts ignore
 * import { NitroClient } from "./client.ts";
 *
 * using nitro = await NitroClient.connect();
 * await nitro.start("web");
 * for (const s of await nitro.list()) console.log(s.state, s.name);
 * ```
 *
 * @module
 */

import {
  type AnyOkResponse,
  checkResponse,
  type DaemonInfo,
  type ErrorCode,
  type ErrorResponse,
  type EventLine,
  MAX_REQUEST_BYTES,
  type OkResponse,
  type Op,
  parseServerLine,
  type Request,
  type RequestOf,
  type ServiceDetail,
  type ServiceError,
  type ServiceEvent,
  type ServiceRef,
  type ServiceResult,
  type ServiceStatus,
  type SignalName,
  type WaitTarget,
} from "./protocol.ts";
import { osMessage } from "./errors.ts";
import { socketPath } from "./config/socket_path.ts";
import { encodeLine, readFrames, writeAll } from "./framing.ts";
import type { SpatTransport } from "./spat/transport.ts";

/**
 * Which nitro answers at the socket: `"deno"`, this project's daemon (its
 * JSON protocol), or `"c"`, C nitro (its datagram protocol, SPAT). Against
 * C nitro some answers hold null where C nitro does not tell (restarts,
 * readiness, most of `info`), and `events` has no history to replay.
 */
export type Server = "deno" | "c";

/**
 * Why a {@link NitroError} was thrown: an {@link ErrorCode} the daemon sent,
 * or one the client itself detected:
 * - `unreachable`: the socket could not be connected to;
 * - `permission`: Deno's permissions forbid finding or opening the socket
 *   (the message names the flag that is missing);
 * - `disconnected`: the connection ended before the answer came;
 * - `protocol`: the daemon sent something that is not valid protocol;
 * - `failed`: the daemon did the request, but a service did not get where
 *   it was asked to go (a wait ended FATAL, a signal found no process).
 */
export type NitroErrorCode =
  | ErrorCode
  | "unreachable"
  | "permission"
  | "disconnected"
  | "protocol"
  | "failed";

/** Options of a {@link NitroError}. */
export interface NitroErrorOptions extends ErrorOptions {
  /** The service the daemon blamed, when it named one. */
  service?: string;
  /** The daemon's answer, when it served the request in part. */
  response?: AnyOkResponse;
}

/**
 * A failed request, or a failure to talk to nitro at all.
 *
 * @example Telling "no such service" apart from other failures
 * ```ts ignore
 * import { NitroClient, NitroError } from "./client.ts";
 *
 * using nitro = await NitroClient.connect();
 * try {
 *   await nitro.up("nope");
 * } catch (e) {
 *   if (e instanceof NitroError && e.code === "no-such-service") {
 *     console.log(`${e.service} does not exist`);
 *   } else throw e;
 * }
 * ```
 */
export class NitroError extends Error {
  /** What went wrong, for programs to branch on. */
  readonly code: NitroErrorCode;
  /** The service the daemon blamed, when it named one. */
  readonly service?: string;
  /**
   * The daemon's answer when it served the request, or part of it: the
   * `results` (or `pids`, …) of the services it served, and in `errors`
   * every argument it could not serve. Set for code `failed`, and for an
   * error about one of several services.
   */
  readonly response?: AnyOkResponse;

  /**
   * Make an error with a code and a human-readable message.
   *
   * @example
   * ```ts
   * import { NitroError } from "./client.ts";
   * const e = new NitroError("bad-name", "name starts with '.'", {
   *   service: ".x",
   * });
   * console.assert(e.code === "bad-name" && e.service === ".x");
   * ```
   */
  constructor(
    code: NitroErrorCode,
    message: string,
    options: NitroErrorOptions = {},
  ) {
    const { service, response, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = "NitroError";
    this.code = code;
    if (service !== undefined) this.service = service;
    if (response !== undefined) this.response = response;
  }
}

/** Options every request accepts. */
export interface RequestOptions {
  /**
   * Stop waiting for the answer when this signal aborts: the promise then
   * rejects with the signal's reason. The daemon is not told (the protocol
   * has no cancel), so a wait it started goes on until the connection closes.
   */
  signal?: AbortSignal;
}

/** Options of requests that name services. */
export interface ServiceOptions extends RequestOptions {
  /**
   * Which instance a path argument means, for template instances that share
   * their template's directory (nitroctl passes `$NITRO_SERVICE`).
   */
  hint?: string;
}

/** Options of requests that may wait for a state. */
export interface WaitOptions extends ServiceOptions {
  /**
   * Answer only once every service reached this target; a service that
   * ended FATAL instead makes the request throw (code `failed`).
   */
  wait?: WaitTarget;
  /**
   * Stream the services' events to {@link onEvent}: for a pure wait, the
   * state each is in when it starts; then every event (change or
   * announcement, see {@link ServiceEvent}) until each reached the target.
   */
  verbose?: boolean;
  /** Called for every state streamed for this request. */
  onEvent?: (event: ServiceEvent) => void;
}

/** Options of {@link NitroClient.send}. */
export interface SendOptions extends RequestOptions {
  /** Called for every event streamed for this request (`verbose` waits). */
  onEvent?: (event: ServiceEvent) => void;
}

/** Options of {@link NitroClient.events}. */
export interface EventsOptions {
  /** Start with the daemon's retained history of recent events. */
  replay?: boolean;
  /** End the stream (and close its connection) when this signal aborts. */
  signal?: AbortSignal;
}

/** One or several service names or absolute service directory paths. */
export type Services = ServiceRef | readonly ServiceRef[];

/** A request as {@link NitroClient.send} takes it: without the `id`. */
export type Outgoing = OutgoingOf<Op>;

/** The {@link Outgoing} request of one op. */
export type OutgoingOf<O extends Op> = O extends Op ? Omit<RequestOf<O>, "id">
  : never;

/** A request awaiting its final response. */
interface Pending {
  /** The op asked: its answer must be that op's. */
  op: Op;
  onEvent?: (event: ServiceEvent) => void;
  resolve: (response: AnyOkResponse) => void;
  reject: (error: unknown) => void;
}

/** Longest line accepted from the daemon; beyond it the stream is broken. */
const MAX_LINE_BYTES = 16 << 20;

/**
 * After a failed write, how long to let the daemon's last words (a `busy`
 * refusal, say) arrive before failing with the write error itself.
 */
const LAST_WORDS_MS = 2000;

/**
 * A connection to nitro's control socket.
 *
 * Close it with {@link NitroClient.close} (or `using`) when done. While no
 * request is pending, the open connection does not keep the program alive.
 *
 * @example Restart a service, printing every state it passes through
 * ```ts ignore
 * import { NitroClient } from "./client.ts";
 *
 * using nitro = await NitroClient.connect("/run/nitro/nitro.sock");
 * await nitro.restart(["web"], {
 *   wait: "up",
 *   verbose: true,
 *   onEvent: (e) => console.log(e.state, e.name),
 * }); // throws NitroError (code "failed") if web ends FATAL
 * ```
 */
export class NitroClient implements Disposable {
  /** The socket path this client is connected to. */
  readonly path: string;
  /** Which nitro answers: this project's (`"deno"`) or C nitro (`"c"`). */
  readonly server: Server;
  #conn!: Deno.UnixConn;
  /** Against C nitro, the requests go there instead of #conn. */
  #spat?: SpatTransport;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  /** Why the connection ended, once it has; later requests fail with it. */
  #failure: NitroError | null = null;
  /** Resolves when the read loop has ended. */
  #ended: Promise<void>;

  private constructor(path: string, link: Deno.UnixConn | SpatTransport) {
    this.path = path;
    if (!("readable" in link)) {
      this.server = "c";
      this.#spat = link;
      this.#ended = Promise.resolve();
      return;
    }
    this.server = "deno";
    const conn = link;
    this.#conn = conn;
    conn.unref();
    this.#ended = this.#readLoop();
  }

  /**
   * Connect to nitro's control socket.
   *
   * @param path Socket path. Without it: `$NITRO_SOCK`, else the target of
   *   the `/etc/nitro.sock` link, else `/run/nitro/nitro.sock`. Reading
   *   those needs `--allow-env=NITRO_SOCK` and
   *   `--allow-read=/etc/nitro.sock`; without them this throws rather than
   *   guess a path.
   *   A datagram socket there is C nitro's: the client then speaks its
   *   protocol ({@link NitroClient.server} is `"c"`), which needs Deno's
   *   `--unstable-net` (see mod.ts for the permissions).
   * @throws {NitroError} code `permission` when Deno's permissions forbid
   *   finding or opening the socket (the message names the flag), code
   *   `unreachable` (naming the path) when nothing answers there.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * console.log((await nitro.info()).version);
   * ```
   */
  static async connect(path?: string): Promise<NitroClient> {
    const target = path ?? defaultSocketPath();
    try {
      return new NitroClient(target, await dial(target));
    } catch (error) {
      // A datagram socket: C nitro, spoken to in its own protocol.
      const spat = await import("./spat/transport.ts");
      if (!spat.isDatagramSocket(error)) throw error;
      return new NitroClient(target, new spat.SpatTransport(target));
    }
  }

  /**
   * Send one request as it is and resolve with the daemon's validated
   * answer. Unlike the typed methods, this throws only when the daemon
   * refused the whole request (or could not be talked to): an answer that
   * served some services but not others (`errors`), or results with
   * `ok: false`, are resolved for the caller to judge.
   *
   * @example Report what was served and what was not
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * const answer = await nitro.send({ op: "pidof", services: ["a", "x"] });
   * console.log(answer.pids, answer.errors ?? []);
   * ```
   */
  send<R extends Outgoing>(
    request: R,
    opts: SendOptions = {},
  ): Promise<OkResponse<R["op"]>> {
    if (this.#spat !== undefined && !this.#closed) {
      // Held to the same answer shape as the JSON daemon's.
      return this.#spat.send(request, opts).then((answer) => {
        const checked = checkResponse<R["op"]>(request.op, answer);
        if (checked.ok) return checked.line;
        throw malformed(checked.problem, JSON.stringify(answer));
      });
    }
    if (this.#closed) {
      return Promise.reject(
        this.#failure ?? new NitroError("disconnected", "connection closed"),
      );
    }
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest({ ...request, id } as Request);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<OkResponse<R["op"]>>((resolve, reject) => {
      const onAbort = () => done(() => reject(signal!.reason));
      const done = (settle: () => void) => {
        if (!this.#pending.delete(id)) return;
        signal?.removeEventListener("abort", onAbort);
        // Idle connections must not keep the program running.
        if (this.#pending.size === 0 && !this.#closed) this.#conn.unref();
        settle();
      };
      this.#pending.set(id, {
        op: request.op,
        onEvent: opts.onEvent,
        resolve: (response) => {
          const checked = checkResponse<R["op"]>(request.op, response);
          done(() =>
            checked.ok
              ? resolve(checked.line)
              : reject(malformed(checked.problem, JSON.stringify(response)))
          );
        },
        reject: (error) => done(() => reject(error)),
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#conn.ref();
      this.#writing = this.#writing
        .then(() => writeAll(this.#conn, bytes))
        .catch((error) => this.#writeFailed(id, error));
    });
  }

  /**
   * List services, sorted by name: all of them, or only those named.
   *
   * @throws {NitroError} when a named service does not exist (the others
   *   are in `error.response.services`).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * for (const s of await nitro.list()) console.log(s.state, s.name, s.pid);
   * ```
   */
  async list(
    services?: Services,
    opts: ServiceOptions = {},
  ): Promise<ServiceStatus[]> {
    const request: OutgoingOf<"list"> = { op: "list" };
    if (services !== undefined) request.services = toArray(services);
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = served(await this.send(request, opts));
    return response.services;
  }

  /**
   * Details of services, sorted by name: uptime, restarts, the last exit
   * for people ("exited 3"), logger, readiness and why a service is FATAL.
   *
   * @throws {NitroError} when a named service does not exist.
   *
   * @example Say why each FATAL service is FATAL
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * for (const s of await nitro.status()) {
   *   if (s.state === "FATAL") console.log(s.name, s.reason);
   * }
   * ```
   */
  async status(
    services?: Services,
    opts: ServiceOptions = {},
  ): Promise<ServiceDetail[]> {
    const request: OutgoingOf<"status"> = { op: "status" };
    if (services !== undefined) request.services = toArray(services);
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = served(await this.send(request, opts));
    return response.details;
  }

  /**
   * Facts about the daemon itself: pid, version, number of services, ….
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * const { pid, uptime } = await nitro.info();
   * ```
   */
  async info(opts: RequestOptions = {}): Promise<DaemonInfo> {
    const response = await this.send({ op: "info" }, opts);
    return response.info;
  }

  /**
   * Ask for services to be up. Without `opts.wait` the answer comes at once;
   * with it, once each service reached the target. Creates `NAME@PARAM`
   * instances of templates.
   *
   * @throws {NitroError} code `failed` when a service ended FATAL instead
   *   of reaching `opts.wait` (all results are in `error.response`); the
   *   daemon's code when a service does not exist.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.up(["web", "agetty@tty2"]);
   * ```
   */
  up(services: Services, opts: WaitOptions = {}): Promise<ServiceResult[]> {
    return this.#change("up", services, opts);
  }

  /**
   * Ask for services to be down; with `opts.wait`, wait for the target.
   *
   * @throws {NitroError} when a service does not exist.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.down("web", { wait: "shutdown" }); // being brought down
   * ```
   */
  down(services: Services, opts: WaitOptions = {}): Promise<ServiceResult[]> {
    return this.#change("down", services, opts);
  }

  /**
   * Restart services; with `opts.wait`, wait for the target.
   *
   * @throws {NitroError} code `failed` when a service ended FATAL instead
   *   of reaching `opts.wait`.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.restart("web", { wait: "up" });
   * ```
   */
  restart(
    services: Services,
    opts: WaitOptions = {},
  ): Promise<ServiceResult[]> {
    return this.#change("restart", services, opts);
  }

  /**
   * Bring services up and wait until each is UP (or ONESHOT).
   *
   * @throws {NitroError} code `failed` when a service ended FATAL (its name
   *   in `error.service`, every result in `error.response.results`); the
   *   daemon's code (`no-such-service`, …) when a service does not exist.
   *
   * @example
   * ```ts ignore
   * import { NitroClient, NitroError } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * try {
   *   await nitro.start(["db", "web"]);
   * } catch (e) {
   *   if (e instanceof NitroError && e.code === "failed") {
   *     console.error(e.message); // "web ended FATAL"
   *   } else throw e;
   * }
   * ```
   */
  start(
    services: Services,
    opts: Omit<WaitOptions, "wait"> = {},
  ): Promise<ServiceResult[]> {
    return this.up(services, { ...opts, wait: "up" });
  }

  /**
   * Bring services down and wait until each is DOWN (or FATAL).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.stop("web");
   * ```
   */
  stop(
    services: Services,
    opts: Omit<WaitOptions, "wait"> = {},
  ): Promise<ServiceResult[]> {
    return this.down(services, { ...opts, wait: "down" });
  }

  /**
   * Wait, without changing anything, until each service reaches `target`.
   *
   * @throws {NitroError} code `failed` when a service ended FATAL instead.
   *
   * @example Wait at most five seconds for a service to be up
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.waitFor("db", "up", { signal: AbortSignal.timeout(5000) });
   * ```
   */
  async waitFor(
    services: Services,
    target: WaitTarget,
    opts: Omit<WaitOptions, "wait"> = {},
  ): Promise<ServiceResult[]> {
    const request: OutgoingOf<"wait"> = {
      op: "wait",
      services: toArray(services),
      wait: target,
    };
    if (opts.verbose) request.verbose = true;
    if (opts.hint !== undefined) request.hint = opts.hint;
    return results(await this.send(request, opts), "ended");
  }

  /**
   * Mark STARTING services UP (readiness by hand, `notification-fd` 0).
   *
   * @example From a service's own run script (cwd is its directory)
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.ready(Deno.realPathSync("."), {
   *   hint: Deno.env.get("NITRO_SERVICE"),
   * });
   * ```
   */
  async ready(
    services: Services,
    opts: ServiceOptions = {},
  ): Promise<ServiceResult[]> {
    const request: OutgoingOf<"ready"> = {
      op: "ready",
      services: toArray(services),
    };
    if (opts.hint !== undefined) request.hint = opts.hint;
    return results(await this.send(request, opts), "ended");
  }

  /**
   * Deliver a signal to each service's current process.
   *
   * @throws {NitroError} code `failed` when a service has no process to
   *   signal (the others were signalled).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.signal("web", "SIGHUP"); // reload configuration
   * ```
   */
  async signal(
    services: Services,
    signal: SignalName,
    opts: ServiceOptions = {},
  ): Promise<ServiceResult[]> {
    const request: OutgoingOf<"signal"> = {
      op: "signal",
      services: toArray(services),
      signal,
    };
    if (opts.hint !== undefined) request.hint = opts.hint;
    return results(await this.send(request, opts), "signal");
  }

  /**
   * The pid of each service, keyed by service name (`null`: no process).
   *
   * @throws {NitroError} when a service does not exist (the pids of the
   *   others are in `error.response.pids`).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * const { web } = await nitro.pidof("web");
   * ```
   */
  async pidof(
    services: Services,
    opts: ServiceOptions = {},
  ): Promise<Record<string, number | null>> {
    const request: OutgoingOf<"pidof"> = {
      op: "pidof",
      services: toArray(services),
    };
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = served(await this.send(request, opts));
    return response.pids;
  }

  /**
   * Re-read the service directory: start added services, stop removed ones.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.rescan();
   * ```
   */
  async rescan(opts: RequestOptions = {}): Promise<void> {
    await this.send({ op: "rescan" }, opts);
  }

  /**
   * Bring the whole system down (as `nitroctl Shutdown`).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.shutdown();
   * ```
   */
  async shutdown(opts: RequestOptions = {}): Promise<void> {
    await this.send({ op: "shutdown" }, opts);
  }

  /**
   * Bring the whole system down and up again (as `nitroctl Reboot`).
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * await nitro.reboot();
   * ```
   */
  async reboot(opts: RequestOptions = {}): Promise<void> {
    await this.send({ op: "reboot" }, opts);
  }

  /**
   * Follow every state change, as it happens. The stream uses a connection
   * of its own, opened on first iteration and closed when the loop ends
   * (`break`, an exception, or `opts.signal`). It ends by itself when nitro
   * closes the connection. It does not need this client's connection, which
   * may be closed first to spare the daemon an idle connection.
   *
   * @example Print the history, then every change until Ctrl-C
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * for await (const e of nitro.events({ replay: true })) {
   *   console.log(e.state, e.name);
   * }
   * ```
   */
  async *events(opts: EventsOptions = {}): AsyncGenerator<ServiceEvent> {
    opts.signal?.throwIfAborted();
    if (this.#spat !== undefined) return yield* this.#spat.events(opts);
    const conn = await dial(this.path);
    const onAbort = () => closeQuietly(conn);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const id = 1;
      const request: Request = opts.replay
        ? { id, op: "events", replay: true }
        : { id, op: "events" };
      // A refused connection may be closed before our request gets there:
      // its reason, read below, says more than the write error.
      let writeError: unknown = null;
      await writeAll(conn, encodeRequest(request)).catch((e) => writeError = e);
      for await (const line of readLines(conn)) {
        const message = parseLine(line);
        if ("event" in message) {
          if (message.id === id) yield message.event;
        } else if (!message.ok && (message.id ?? id) === id) {
          throw responseError(message);
        } else if (message.ok && message.id === id) return;
      }
      if (writeError !== null) throw writeFailure(this.path, writeError);
      opts.signal?.throwIfAborted();
    } catch (error) {
      opts.signal?.throwIfAborted();
      throw error;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      closeQuietly(conn);
    }
  }

  /**
   * Close the connection. Requests still pending reject with a
   * {@link NitroError} of code `disconnected`. Closing twice is harmless.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * const nitro = await NitroClient.connect();
   * try {
   *   await nitro.rescan();
   * } finally {
   *   nitro.close();
   * }
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#spat !== undefined) return this.#spat.close();
    closeQuietly(this.#conn);
    if (this.#pending.size > 0) {
      this.#failAll(new NitroError("disconnected", "connection closed"));
    }
  }

  /** Same as {@link NitroClient.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Send `up`/`down`/`restart` with the wait options that apply. */
  async #change(
    op: "up" | "down" | "restart",
    services: Services,
    opts: WaitOptions,
  ): Promise<ServiceResult[]> {
    const request: OutgoingOf<typeof op> = { op, services: toArray(services) };
    if (opts.wait !== undefined) request.wait = opts.wait;
    if (opts.verbose) request.verbose = true;
    if (opts.hint !== undefined) request.hint = opts.hint;
    return results(await this.send(request, opts), "ended");
  }

  /**
   * A request could not be written: the daemon closed the connection. Its
   * reason (a `busy` refusal) may still be on its way; the read loop fails
   * every request with it. Only if nothing comes does the write error
   * itself fail this request.
   */
  #writeFailed(id: number, error: unknown): void {
    const failure = writeFailure(this.path, error);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LAST_WORDS_MS);
    });
    Promise.race([this.#ended, late]).then(() => {
      clearTimeout(timer);
      this.#pending.get(id)?.reject(failure);
    });
  }

  /** Dispatch every line the daemon sends to the request it answers. */
  async #readLoop(): Promise<void> {
    // Why the requests still pending fail. Made only when needed: an
    // Error costs a stack trace, which is start-up time for nitroctl.
    let failure: NitroError | undefined;
    try {
      for await (const line of readLines(this.#conn)) {
        const message = parseLine(line);
        if (!("event" in message) && !message.ok && message.id === undefined) {
          // Not an answer to a request: why the daemon is dropping us
          // (`busy`). Every request fails with this reason.
          failure = responseError(message);
          continue;
        }
        const pending = this.#pending.get(Number(message.id));
        if (pending === undefined) continue; // answer to an aborted request
        if ("event" in message) pending.onEvent?.(message.event);
        else if (message.ok) pending.resolve(message);
        else pending.reject(responseError(message));
      }
    } catch (error) {
      if (error instanceof NitroError) failure = error;
      // Anything else is a read error after close(), or the peer vanished.
    }
    if (!this.#closed) {
      this.#failure = failure ?? new NitroError(
        "disconnected",
        `nitro at ${this.path} closed the connection`,
      );
      this.#failAll(this.#failure);
    }
    this.#closed = true;
    closeQuietly(this.#conn);
  }

  /** Reject every pending request with `error`. */
  #failAll(error: NitroError): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }
}

/**
 * The socket path when none is given, as {@link socketPath} resolves it,
 * but refusing to guess when Deno's permissions hide `$NITRO_SOCK` or the
 * `/etc/nitro.sock` link: a silent fallback would talk to another nitro.
 */
function defaultSocketPath(): string {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("NITRO_SOCK");
  } catch (error) {
    throw new NitroError(
      "permission",
      "cannot read $NITRO_SOCK: run with --allow-env=NITRO_SOCK " +
        "(or pass the socket path to NitroClient.connect)",
      { cause: error },
    );
  }
  if (fromEnv) return fromEnv;
  const descriptor = { name: "read", path: "/etc/nitro.sock" } as const;
  let link = Deno.permissions.querySync(descriptor);
  // Asks on a terminal (as Deno.env.get did), is denied elsewhere.
  if (link.state === "prompt") link = Deno.permissions.requestSync(descriptor);
  if (link.state !== "granted") {
    throw new NitroError(
      "permission",
      "$NITRO_SOCK is not set and /etc/nitro.sock may not be read: run " +
        "with --allow-read=/etc/nitro.sock (or set NITRO_SOCK, or pass " +
        "the socket path to NitroClient.connect)",
    );
  }
  return socketPath({ NITRO_SOCK: fromEnv });
}

/** Connect to the socket, turning OS errors into NitroErrors. */
async function dial(path: string): Promise<Deno.UnixConn> {
  try {
    return await Deno.connect({ transport: "unix", path });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new NitroError(
        "permission",
        `cannot reach nitro at ${path}: Deno needs --allow-read=${path} ` +
          `--allow-write=${path} --allow-net=unix:${path}`,
        { cause: error },
      );
    }
    throw new NitroError(
      "unreachable",
      `cannot reach nitro at ${path}: ${osMessage(error)}`,
      { cause: error },
    );
  }
}

/** A request that could not be written, as a NitroError. */
function writeFailure(path: string, error: unknown): NitroError {
  return new NitroError(
    "disconnected",
    `cannot write to nitro at ${path}: ${osMessage(error)}`,
    { cause: error },
  );
}

/** Close a connection that may already be closed. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function toArray(services: Services): ServiceRef[] {
  return typeof services === "string" ? [services] : [...services];
}

/**
 * The answer, when every service argument was served; else the first
 * argument the daemon could not serve, as a NitroError carrying the answer.
 */
function served<T extends OkResponse & { errors?: ServiceError[] }>(
  response: T,
): T {
  const first = response.errors?.[0];
  if (first === undefined) return response;
  const { code, message, service } = first;
  return throwing(new NitroError(code, message, { service, response }));
}

/**
 * The results of a request that acts on services, when each one got where
 * it was asked to go; else a NitroError (code `failed`) for the first one
 * that did not: it `ended` in another state, or had no process to signal.
 */
function results(
  response: OkResponse<"up" | "down" | "restart" | "wait" | "ready" | "signal">,
  failure: "ended" | "signal",
): ServiceResult[] {
  const list = served(response).results;
  const bad = list.find((r) => !r.ok);
  if (bad === undefined) return list;
  const message = failure === "signal"
    ? `${bad.name}: no process to signal`
    : `${bad.name} ended ${bad.state}`;
  return throwing(
    new NitroError("failed", message, { service: bad.name, response }),
  );
}

function throwing(error: NitroError): never {
  throw error;
}

/** A failed response as a {@link NitroError}. */
function responseError(response: ErrorResponse): NitroError {
  const { code, message, service } = response.error;
  return new NitroError(code, message, { service });
}

/** One request line; refuses lines the daemon would refuse as too long. */
function encodeRequest(request: Request): Uint8Array {
  const bytes = encodeLine(request);
  if (bytes.length - 1 > MAX_REQUEST_BYTES) {
    throw new NitroError(
      "too-long",
      `request longer than ${MAX_REQUEST_BYTES} bytes`,
    );
  }
  return bytes;
}

/** Parse and validate one line from the daemon; anything else is an error. */
function parseLine(line: string): AnyOkResponse | ErrorResponse | EventLine {
  const parsed = parseServerLine(line);
  if (parsed.ok) return parsed.line;
  throw malformed(parsed.problem, line);
}

/** A line of the daemon's that is not valid protocol, as a NitroError. */
function malformed(problem: string, line: string): NitroError {
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  return new NitroError(
    "protocol",
    `nitro sent a malformed line (${problem}): ${shown}`,
  );
}

/**
 * The lines the daemon sends, as text (without their `\n`). A line longer
 * than {@link MAX_LINE_BYTES} breaks the stream: a protocol error.
 */
async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  for await (const frame of readFrames(conn, MAX_LINE_BYTES)) {
    if (frame.kind === "too-long") {
      throw new NitroError("protocol", "nitro sent an overlong line");
    }
    if (frame.text.trim() !== "") yield frame.text;
  }
}
