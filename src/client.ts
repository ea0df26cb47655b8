/**
 * A typed client for nitro's control socket (see {@link ./protocol.ts}).
 *
 * One {@link NitroClient} is one connection. Requests carry an incrementing
 * `id` and answers are matched by it, so several requests may be in flight
 * at once. {@link NitroClient.events} opens a connection of its own, because
 * the daemon streams events until that connection is closed.
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
  type DaemonInfo,
  type ErrorCode,
  MAX_REQUEST_BYTES,
  type OkResponse,
  type Request,
  type ServerLine,
  type ServiceEvent,
  type ServiceRef,
  type ServiceResult,
  type ServiceStatus,
  type SignalName,
  type WaitTarget,
} from "./protocol.ts";
import { socketPath } from "./config/socket_path.ts";

/**
 * Why a {@link NitroError} was thrown: an {@link ErrorCode} the daemon sent,
 * or one the client itself detected:
 * - `unreachable`: the socket could not be connected to;
 * - `disconnected`: the connection ended before the answer came;
 * - `protocol`: the daemon sent something that is not valid protocol.
 */
export type NitroErrorCode =
  | ErrorCode
  | "unreachable"
  | "disconnected"
  | "protocol";

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
   * Make an error with a code and a human-readable message.
   *
   * @example
   * ```ts
   * import { NitroError } from "./client.ts";
   * const e = new NitroError("bad-name", "name starts with '.'", ".x");
   * console.assert(e.code === "bad-name" && e.service === ".x");
   * ```
   */
  constructor(
    code: NitroErrorCode,
    message: string,
    service?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "NitroError";
    this.code = code;
    if (service !== undefined) this.service = service;
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
  /** Answer only once every service reached this target (or failed). */
  wait?: WaitTarget;
  /** Stream every state change of these services to {@link onEvent}. */
  verbose?: boolean;
  /** Called for every state change streamed for this request. */
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

/** Request without the `id`, which the client assigns. */
type Outgoing = Request extends infer R ? R extends Request ? Omit<R, "id">
  : never
  : never;

/** A request awaiting its final response. */
interface Pending {
  onEvent?: (event: ServiceEvent) => void;
  resolve: (response: OkResponse) => void;
  reject: (error: unknown) => void;
}

/** Longest line accepted from the daemon; beyond it the stream is broken. */
const MAX_LINE_BYTES = 16 << 20;

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
 * const results = await nitro.restart(["web"], {
 *   wait: "up",
 *   verbose: true,
 *   onEvent: (e) => console.log(e.state, e.name),
 * });
 * if (results.some((r) => !r.ok)) console.error("web failed");
 * ```
 */
export class NitroClient implements Disposable {
  /** The socket path this client is connected to. */
  readonly path: string;
  #conn: Deno.UnixConn;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, conn: Deno.UnixConn) {
    this.path = path;
    this.#conn = conn;
    conn.unref();
    this.#readLoop();
  }

  /**
   * Connect to nitro's control socket.
   *
   * @param path Socket path; defaults to {@link socketPath}'s resolution
   *   (`$NITRO_SOCK`, `/etc/nitro.sock`, `/run/nitro/nitro.sock`).
   * @throws {NitroError} with code `unreachable` and a message naming the
   *   path when nothing answers there.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * console.log((await nitro.info()).version);
   * ```
   */
  static async connect(path: string = socketPath()): Promise<NitroClient> {
    return new NitroClient(path, await dial(path));
  }

  /**
   * List services, sorted by name: all of them, or only those named.
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
    const request: Outgoing = { op: "list" };
    if (services !== undefined) request.services = toArray(services);
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = await this.#request(request, opts);
    return required(response.services, "services");
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
    const response = await this.#request({ op: "info" }, opts);
    return required(response.info, "info");
  }

  /**
   * Ask for services to be up. Without `opts.wait` the answer comes at once;
   * with it, once each service reached the target (`ok: false` where one
   * ended FATAL instead). Creates `NAME@PARAM` instances of templates.
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
   * A result with `ok: false` means that service ended FATAL.
   *
   * @example
   * ```ts ignore
   * import { NitroClient } from "./client.ts";
   * using nitro = await NitroClient.connect();
   * const failed = (await nitro.start(["db", "web"])).filter((r) => !r.ok);
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
    const request: Outgoing = {
      op: "wait",
      services: toArray(services),
      wait: target,
    };
    if (opts.verbose) request.verbose = true;
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = await this.#request(request, opts);
    return response.results ?? [];
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
    const request: Outgoing = { op: "ready", services: toArray(services) };
    if (opts.hint !== undefined) request.hint = opts.hint;
    return (await this.#request(request, opts)).results ?? [];
  }

  /**
   * Deliver a signal to each service's current process.
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
    const request: Outgoing = {
      op: "signal",
      services: toArray(services),
      signal,
    };
    if (opts.hint !== undefined) request.hint = opts.hint;
    return (await this.#request(request, opts)).results ?? [];
  }

  /**
   * The pid of each service, keyed by service name (`null`: no process).
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
    const request: Outgoing = { op: "pidof", services: toArray(services) };
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = await this.#request(request, opts);
    return required(response.pids, "pids");
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
    await this.#request({ op: "rescan" }, opts);
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
    await this.#request({ op: "shutdown" }, opts);
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
    await this.#request({ op: "reboot" }, opts);
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
    const conn = await dial(this.path);
    const onAbort = () => closeQuietly(conn);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const id = 1;
      const request: Request = { id, op: "events" };
      if (opts.replay) request.replay = true;
      await writeAll(conn, encodeRequest(request));
      for await (const line of readLines(conn)) {
        const message = parseLine(line);
        if (message.id !== id) continue;
        if ("event" in message) yield message.event;
        else if (message.ok) return;
        else throw responseError(message);
      }
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
    closeQuietly(this.#conn);
    this.#failAll(new NitroError("disconnected", "connection closed"));
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
    const request: Outgoing = { op, services: toArray(services) };
    if (opts.wait !== undefined) request.wait = opts.wait;
    if (opts.verbose) request.verbose = true;
    if (opts.hint !== undefined) request.hint = opts.hint;
    const response = await this.#request(request, opts);
    return response.results ?? [];
  }

  /** Send one request; resolve with its final response when it is ok. */
  #request(
    request: Outgoing,
    opts: RequestOptions & { onEvent?: (e: ServiceEvent) => void },
  ): Promise<OkResponse> {
    if (this.#closed) {
      return Promise.reject(
        new NitroError("disconnected", "connection closed"),
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
    return new Promise<OkResponse>((resolve, reject) => {
      const onAbort = () => done(() => reject(signal!.reason));
      const done = (settle: () => void) => {
        if (!this.#pending.delete(id)) return;
        signal?.removeEventListener("abort", onAbort);
        // Idle connections must not keep the program running.
        if (this.#pending.size === 0 && !this.#closed) this.#conn.unref();
        settle();
      };
      this.#pending.set(id, {
        onEvent: opts.onEvent,
        resolve: (response) => done(() => resolve(response)),
        reject: (error) => done(() => reject(error)),
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#conn.ref();
      this.#writing = this.#writing
        .then(() => writeAll(this.#conn, bytes))
        .catch((error) =>
          this.#pending.get(id)?.reject(
            new NitroError(
              "disconnected",
              `cannot write to nitro at ${this.path}: ${osMessage(error)}`,
              undefined,
              { cause: error },
            ),
          )
        );
    });
  }

  /** Dispatch every line the daemon sends to the request it answers. */
  async #readLoop(): Promise<void> {
    let failure = new NitroError(
      "disconnected",
      `nitro at ${this.path} closed the connection`,
    );
    try {
      for await (const line of readLines(this.#conn)) {
        const message = parseLine(line);
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
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#failAll(failure);
  }

  /** Reject every pending request with `error`. */
  #failAll(error: NitroError): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }
}

/** Connect to the socket, turning OS errors into a `unreachable` error. */
async function dial(path: string): Promise<Deno.UnixConn> {
  try {
    return await Deno.connect({ transport: "unix", path });
  } catch (error) {
    throw new NitroError(
      "unreachable",
      `cannot reach nitro at ${path}: ${osMessage(error)}`,
      undefined,
      { cause: error },
    );
  }
}

/** An error's message without Deno's ` (os error N)` suffix. */
function osMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\)$/, "");
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

/** A field the daemon must have sent, or a protocol error. */
function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) {
    throw new NitroError("protocol", `nitro's answer lacks "${field}"`);
  }
  return value;
}

/** A failed response as a {@link NitroError}. */
function responseError(
  response: { error?: { code?: string; message?: string; service?: string } },
): NitroError {
  const error = response.error ?? {};
  return new NitroError(
    (error.code ?? "protocol") as NitroErrorCode,
    error.message ?? "request failed",
    error.service,
  );
}

const encoder = new TextEncoder();

/** One request line; refuses lines the daemon would refuse as too long. */
function encodeRequest(request: Request): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(request) + "\n");
  if (bytes.length - 1 > MAX_REQUEST_BYTES) {
    throw new NitroError(
      "too-long",
      `request longer than ${MAX_REQUEST_BYTES} bytes`,
    );
  }
  return bytes;
}

/** Parse one line from the daemon; anything but a JSON object is an error. */
function parseLine(line: string): ServerLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new NitroError("protocol", `nitro sent a malformed line: ${line}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NitroError("protocol", `nitro sent a malformed line: ${line}`);
  }
  return value as ServerLine;
}

/** Write all of `bytes`; a socket write may be partial. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await conn.write(bytes.subarray(off));
  }
}

/**
 * Split a byte stream into lines (without their `\n`). A last line without
 * a newline is dropped: the daemon terminates every line it means.
 */
async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  // Plain reads, not `conn.readable`: setting up web streams costs a few
  // milliseconds, a fifth of a nitroctl call.
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(16384);
  let buffered = "";
  while (true) {
    const n = await conn.read(chunk);
    if (n === null) return;
    buffered += decoder.decode(chunk.subarray(0, n), { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== "") yield line;
    }
    if (buffered.length > MAX_LINE_BYTES) {
      throw new NitroError("protocol", "nitro sent an overlong line");
    }
  }
}
