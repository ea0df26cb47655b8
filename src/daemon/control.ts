/**
 * The control socket: accepts clients, reads their requests (framed by
 * src/framing.ts, validated by `parseRequest` in src/protocol.ts) and
 * answers them from the supervisor.
 *
 * Bounded whatever clients do (spec §8):
 * - at most {@link LIMITS}.clients request/response connections and, apart
 *   from them, {@link LIMITS}.subscribers `events` followers; when full, the
 *   connection idle the longest gives way to a new one, and when none is
 *   idle the new one is refused with a `busy` line;
 * - a connection that sends nothing is closed after a few seconds, one with
 *   nothing in flight after a minute;
 * - each connection's outgoing queue is bounded in bytes (replies and events
 *   alike): over the bound the client is dropped;
 * - requests are not read while a connection's replies are not flowing, and
 *   a client that leaves them unread is dropped;
 * - service paths resolve with one asynchronous `stat` each, through the
 *   supervisor's {@link DirectoryIndex}.
 *
 * A bad client gets an error line or a closed connection; it never disturbs
 * the daemon or other clients. A bug of the daemon's is logged on its stderr
 * and answered with the code `internal`.
 *
 * @module
 */

import meta from "../../deno.json" with { type: "json" };
import {
  type ErrorCode,
  type ErrorResponse,
  type EventLine,
  MAX_REQUEST_BYTES,
  parseRequest,
  PROTOCOL_VERSION,
  type Request,
  type Response,
  type ServerLine,
  type ServiceDetail,
  type ServiceError,
  type ServiceEvent,
  type ServiceResult,
  type ServiceStatus,
  type SignalName,
  type WaitTarget,
} from "../protocol.ts";
import { encodeLine, LineSplitter } from "../framing.ts";
import { judge } from "../core/wait.ts";
import { describeExit } from "../core/exit_status.ts";
import { type DirectoryIndex, pickService } from "./dir_index.ts";
import type { ServiceDetailFacts, ServiceSnapshot } from "./supervisor.ts";

/** The version reported by `info`: the project's, from deno.json. */
export const VERSION: string = meta.version;

/** The bounds of the control plane. */
export interface ControlLimits {
  /** Request/response connections served at once. */
  clients: number;
  /** `events` followers served at once (apart from `clients`). */
  subscribers: number;
  /** A connection that sent no request for this long is closed (ms). */
  firstRequestMs: number;
  /** A connection with nothing in flight for this long is closed (ms). */
  idleMs: number;
  /** Bytes a connection may have queued for writing before it is dropped. */
  queueBytes: number;
  /** Requests are not read while this many bytes wait to be written. */
  pauseBytes: number;
  /** A paused connection whose output does not move this long is dropped. */
  stallMs: number;
}

/** The bounds nitro uses. */
export const LIMITS: Readonly<ControlLimits> = {
  clients: 64,
  subscribers: 32,
  firstRequestMs: 5_000,
  idleMs: 60_000,
  queueBytes: 1 << 20,
  pauseBytes: 64 << 10,
  stallMs: 5_000,
};

/** What the control server needs of the supervisor (see the contract). */
export interface ControlSupervisor {
  readonly dir: string;
  readonly history: { toArray(): ServiceEvent[] };
  readonly reaps: number;
  readonly svReaps: number;
  /** Monotonic time the current boot began. */
  readonly bootTime: number;
  readonly stopping: boolean;
  readonly directories: DirectoryIndex;
  now(): number;
  names(): string[];
  has(name: string): boolean;
  isSystem(name: string): boolean;
  status(name: string): ServiceSnapshot | null;
  detail(name: string): ServiceDetailFacts | null;
  ensureInstance(name: string): boolean;
  /** A client's request; the service's state is announced after it. */
  request(
    name: string,
    input: { type: "up" | "down" | "restart" | "ready" },
  ): void;
  signal(name: string, signal: SignalName): boolean;
  rescan(): void;
  subscribe(listener: (e: ServiceEvent) => void): () => void;
}

/** What the control server needs from its surroundings. */
export interface ControlContext {
  supervisor: ControlSupervisor;
  /** Start the end of the system (answers first, then goes down). */
  end: (mode: "shutdown" | "reboot") => void;
  pid1: boolean;
  /** nitro's console, for its own bugs. */
  console: { say(line: string): void };
  /** nitro's open fds for `info` (-1: unknown). */
  openFds: () => Promise<number>;
  /** Other bounds than {@link LIMITS} (tests). */
  limits?: Partial<ControlLimits>;
}

/** A failure that becomes an error response. */
class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly service?: string,
  ) {
    super(message);
  }
}

/** Serve clients on `listener` until it is closed. */
export async function serveControl(
  listener: Deno.Listener,
  ctx: ControlContext,
): Promise<void> {
  const server = new Server(ctx);
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (err instanceof Deno.errors.BadResource) break; // Listener closed.
      // Out of fds, for one: say so, and try again a little later.
      reportInternal(ctx, "accepting a connection", err);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    server.admit(conn);
  }
  server.closeAll();
}

/** Log a daemon bug on nitro's stderr. */
function reportInternal(
  ctx: ControlContext,
  during: string,
  err: unknown,
): void {
  const text = err instanceof Error ? err.stack ?? err.message : String(err);
  ctx.console.say(`- nitro: internal error while ${during}: ${text}`);
}

/**
 * Errors that only mean the peer went away (or we closed the connection
 * ourselves while a read or write was pending).
 */
function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected;
}

/** The set of connections, and who gives way when it is full. */
class Server {
  readonly ctx: ControlContext;
  readonly limits: ControlLimits;
  /** Request/response connections (new ones included), oldest first. */
  readonly clients = new Set<Connection>();
  /** `events` followers. */
  readonly subscribers = new Set<Connection>();

  constructor(ctx: ControlContext) {
    this.ctx = ctx;
    this.limits = { ...LIMITS, ...ctx.limits };
  }

  admit(conn: Deno.Conn): void {
    if (this.clients.size >= this.limits.clients) {
      const victim = this.#longestIdle();
      if (victim === null) {
        const count = this.limits.clients;
        refuse(
          this.ctx,
          conn,
          `too many clients: ${count} connections are busy`,
        );
        return;
      }
      victim.busy("too many clients: closed to make room for a new one");
    }
    const connection = new Connection(conn, this);
    this.clients.add(connection);
    connection.serve();
  }

  /** Make `connection` an `events` follower; false when they are too many. */
  follow(connection: Connection): boolean {
    if (this.subscribers.has(connection)) return true;
    if (this.subscribers.size >= this.limits.subscribers) return false;
    this.clients.delete(connection);
    this.subscribers.add(connection);
    return true;
  }

  forget(connection: Connection): void {
    this.clients.delete(connection);
    this.subscribers.delete(connection);
  }

  closeAll(): void {
    for (const c of [...this.clients, ...this.subscribers]) c.close(true);
  }

  #longestIdle(): Connection | null {
    let best: Connection | null = null;
    for (const c of this.clients) {
      if (c.idleSince === null) continue;
      if (best === null || c.idleSince < best.idleSince!) best = c;
    }
    return best;
  }
}

/** Turn a connection away with a `busy` line. */
function refuse(ctx: ControlContext, conn: Deno.Conn, message: string): void {
  const response: ErrorResponse = {
    ok: false,
    error: { code: "busy", message },
  };
  conn.write(encodeLine(response)).catch((err) => {
    // Gone already, it needs no answer; anything else is a bug.
    if (!isDisconnect(err)) reportInternal(ctx, "refusing a client", err);
  }).finally(() => closeQuietly(ctx, conn));
}

/** Close a connection that may be closed already. */
function closeQuietly(ctx: ControlContext, conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) {
      reportInternal(ctx, "closing a connection", err);
    }
  }
}

/** How a request ends: its final response (sent at most once). */
type Done = (response: Response) => void;

/** One connected client. */
class Connection {
  #conn: Deno.Conn;
  #server: Server;
  #sup: ControlSupervisor;
  #limits: ControlLimits;
  #closed = false;
  /** Whether any line came in: a silent connection is closed early. */
  #spoke = false;
  #inFlight = 0;
  /** Since when nothing is in flight (performance.now()); null: busy. */
  idleSince: number | null = performance.now();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #cleanups = new Set<() => void>();
  /** Encoded lines waiting to be written, and their total size. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  /** Resumes the reading of requests once replies flow again. */
  #resume: (() => void) | null = null;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the last queued line has been written. */
  #flushed: (() => void) | null = null;

  constructor(conn: Deno.Conn, server: Server) {
    this.#conn = conn;
    this.#server = server;
    this.#sup = server.ctx.supervisor;
    this.#limits = server.limits;
  }

  /** Read and answer requests until the connection ends. */
  async serve(): Promise<void> {
    this.#armIdle();
    const split = new LineSplitter(MAX_REQUEST_BYTES);
    const buffer = new Uint8Array(8192);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        for (const frame of split.push(buffer.subarray(0, n))) {
          if (this.#closed) return;
          if (frame.kind === "too-long") return this.#tooLong();
          if (frame.text.trim() === "") continue;
          await this.#handle(frame.text, frame.lossy);
          await this.#flowing();
        }
      }
    } catch (err) {
      if (!this.#closed && !isDisconnect(err)) {
        reportInternal(this.#server.ctx, "reading a request", err);
      }
    } finally {
      this.close(true);
    }
  }

  /**
   * Close the connection; with `flush`, after what is queued is written
   * (unless that is much: a client that does not read gets no more).
   */
  close(flush = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.forget(this);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#stallTimer);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups.clear();
    this.#resume?.();
    this.#resume = null;
    if (flush && this.#writing && this.#queued <= this.#limits.pauseBytes) {
      // Bounded: a client that reads nothing does not keep it open.
      const timer = setTimeout(
        () => closeQuietly(this.#server.ctx, this.#conn),
        this.#limits.stallMs,
      );
      this.#flushed = () => {
        clearTimeout(timer);
        closeQuietly(this.#server.ctx, this.#conn);
      };
    } else {
      this.#queue = [];
      this.#queued = 0;
      closeQuietly(this.#server.ctx, this.#conn);
    }
  }

  /** Tell the client it must go (code `busy`), and close. */
  busy(message: string): void {
    this.#send({ ok: false, error: { code: "busy", message } });
    this.close(true);
  }

  #tooLong(): void {
    this.#send({
      ok: false,
      error: {
        code: "too-long",
        message: `request longer than ${MAX_REQUEST_BYTES} bytes`,
      },
    });
    this.close(true);
  }

  /** Close a connection that stays silent, or idle, too long. */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#inFlight > 0 || this.#closed) return;
    this.idleSince = performance.now();
    const ms = this.#spoke ? this.#limits.idleMs : this.#limits.firstRequestMs;
    this.#idleTimer = setTimeout(() => this.close(true), ms);
  }

  // --- writing ---------------------------------------------------------------

  /** Queue one line; drop a client that lets more than the bound pile up. */
  #send(line: ServerLine): void {
    if (this.#closed) return;
    const bytes = encodeLine(line);
    // One line always fits an empty queue, however long it is.
    if (
      this.#queued > 0 && this.#queued + bytes.length > this.#limits.queueBytes
    ) {
      this.close();
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (!this.#writing) this.#pump();
  }

  /** Write the queue out, one line after the other. */
  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const bytes = this.#queue[0];
        for (let off = 0; off < bytes.length;) {
          off += await this.#conn.write(bytes.subarray(off));
          this.#progress();
        }
        this.#queue.shift();
        this.#queued -= bytes.length;
        if (this.#queued < this.#limits.pauseBytes) this.#unpause();
      }
    } catch (err) {
      if (!this.#closed && !isDisconnect(err)) {
        reportInternal(this.#server.ctx, "writing an answer", err);
      }
      this.close();
    } finally {
      this.#writing = false;
      this.#flushed?.();
      this.#flushed = null;
    }
  }

  /** Output moved: a paused connection gets another stall period. */
  #progress(): void {
    if (this.#resume === null) return;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => this.close(), this.#limits.stallMs);
  }

  #unpause(): void {
    clearTimeout(this.#stallTimer);
    this.#resume?.();
    this.#resume = null;
  }

  /**
   * Resolves once replies flow: at once unless too much is queued. A client
   * that leaves its replies unread is dropped after a while.
   */
  #flowing(): Promise<void> {
    if (this.#closed || this.#queued < this.#limits.pauseBytes) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resume = resolve;
      this.#stallTimer = setTimeout(() => this.close(), this.#limits.stallMs);
    });
  }

  // --- requests --------------------------------------------------------------

  async #handle(text: string, lossy: boolean): Promise<void> {
    this.#spoke = true;
    const parsed = parseRequest(text, { lossy });
    if (!parsed.ok) {
      this.#send(parsed.response);
      return this.#armIdle();
    }
    const { request, rejected } = parsed;
    const id = request.id;
    this.#inFlight++;
    this.idleSince = null;
    clearTimeout(this.#idleTimer);
    let answered = false;
    const done: Done = (response) => {
      if (answered) return;
      answered = true;
      this.#send(withId(response, id));
      this.#inFlight--;
      this.#armIdle();
    };
    try {
      await this.#dispatch(request, rejected, done);
    } catch (err) {
      if (err instanceof RequestError) {
        done(errorResponse(err));
      } else {
        reportInternal(
          this.#server.ctx,
          `answering ${JSON.stringify(request.op)}`,
          err,
        );
        done({
          ok: false,
          error: {
            code: "internal",
            message: "internal error in nitro (details in its log)",
          },
        });
      }
    }
  }

  async #dispatch(
    request: Request,
    rejected: ServiceError[],
    done: Done,
  ): Promise<void> {
    const sup = this.#sup;
    switch (request.op) {
      case "list": {
        const { names, errors } = request.services === undefined
          ? { names: sup.names(), errors: [] }
          : await this.#resolve(request, rejected, false);
        const services = names.map((n) => listing(sup, n))
          .filter((s) => s !== null);
        return done(withErrors({ ok: true, services }, errors));
      }
      case "status": {
        const { names, errors } = request.services === undefined
          ? { names: sup.names(), errors: [] }
          : await this.#resolve(request, rejected, false);
        const details = names.map((n) => detail(sup, n))
          .filter((d) => d !== null);
        return done(withErrors({ ok: true, details }, errors));
      }
      case "info":
        return done({
          ok: true,
          info: {
            pid: Deno.pid,
            protocol: PROTOCOL_VERSION,
            version: VERSION,
            services: sup.names().length,
            reaps: sup.reaps,
            svReaps: sup.svReaps,
            fds: await this.#server.ctx.openFds(),
            rss: Deno.memoryUsage().rss,
            boot: sup.bootTime,
            uptime: Math.round(sup.now()),
            dir: sup.dir,
            pid1: this.#server.ctx.pid1,
          },
        });
      case "up":
      case "down":
      case "restart": {
        const op = request.op;
        const create = op !== "down";
        if (create && sup.stopping) {
          throw new RequestError("shutting-down", "nitro is shutting down");
        }
        const { names, errors } = await this.#resolve(
          request,
          rejected,
          create,
          true,
        );
        const act = () => {
          for (const name of names) sup.request(name, { type: op });
        };
        if (request.wait === undefined) {
          act();
          return done(withErrors(
            { ok: true, results: results(sup, names) },
            errors,
          ));
        }
        return this.#wait(names, errors, request, done, act);
      }
      case "wait": {
        const { names, errors } = await this.#resolve(request, rejected, false);
        // A pure wait asked for nothing: a service not wanted up is waited
        // for (until -t), not failed.
        return this.#wait(names, errors, request, done, () => {}, true);
      }
      case "ready": {
        const { names, errors } = await this.#resolve(
          request,
          rejected,
          false,
          true,
        );
        for (const name of names) sup.request(name, { type: "ready" });
        return done(
          withErrors({ ok: true, results: results(sup, names) }, errors),
        );
      }
      case "signal": {
        const { names, errors } = await this.#resolve(request, rejected, false);
        const signal = request.signal;
        const outcome = names.map((name) => ({
          name,
          state: sup.status(name)?.state ?? "DOWN",
          ok: sup.signal(name, signal),
        }));
        return done(withErrors({ ok: true, results: outcome }, errors));
      }
      case "pidof": {
        const { names, errors } = await this.#resolve(request, rejected, false);
        const pids: Record<string, number | null> = {};
        for (const name of names) pids[name] = sup.status(name)?.pid ?? null;
        return done(withErrors({ ok: true, pids }, errors));
      }
      case "rescan":
        sup.rescan();
        return done({ ok: true });
      case "events":
        if (!this.#server.follow(this)) {
          const max = this.#limits.subscribers;
          throw new RequestError(
            "busy",
            `too many clients: ${max} are following events already`,
          );
        }
        return this.#follow(request.replay === true, request.id);
      case "shutdown":
      case "reboot":
        done({ ok: true });
        this.#server.ctx.end(request.op);
        return;
    }
  }

  /**
   * The services a request names, in order: names as they are (instances
   * made when `create`), paths through the directory index. Arguments that
   * fail are returned as `errors`; when none succeeds, the first failure is
   * thrown. With `changes`, SYS is refused: nitro itself runs it.
   */
  async #resolve(
    request: { services?: string[]; hint?: string },
    rejected: ServiceError[],
    create: boolean,
    changes = false,
  ): Promise<{ names: string[]; errors: ServiceError[] }> {
    const sup = this.#sup;
    const refs = request.services ?? [];
    const hint = request.hint;
    // Every path at once: one stat each, none blocking the event loop.
    const resolved = await Promise.all(refs.map(async (ref) => {
      if (!ref.startsWith("/")) return ref;
      const candidates = (await sup.directories.resolve(ref))
        .filter((name) => sup.has(name));
      return pickService(candidates, hint);
    }));
    const names: string[] = [];
    const errors = [...rejected];
    for (const [i, ref] of refs.entries()) {
      const name = resolved[i];
      const fail = (code: ErrorCode, message: string) =>
        errors.push({ service: ref, code, message });
      if (name === null) fail("no-such-service", "no such service");
      else if (changes && sup.isSystem(name)) {
        fail("bad-name", "nitro itself runs SYS; it takes no requests");
      } else if (sup.has(name) || (create && sup.ensureInstance(name))) {
        names.push(name);
      } else fail("no-such-service", "no such service");
    }
    if (names.length === 0 && errors.length > 0) {
      const first = errors[0];
      throw new RequestError(first.code, first.message, first.service);
    }
    return { names, errors };
  }

  /**
   * Answer once every service reached `request.wait` or failed it. With
   * `verbose`, the current state of each comes first, then every change.
   */
  #wait(
    names: string[],
    errors: ServiceError[],
    request: { wait?: WaitTarget; verbose?: boolean; id?: string | number },
    done: Done,
    act: () => void,
    passive = false,
  ): void {
    const sup = this.#sup;
    const target = request.wait!;
    const waited = new Set(names);
    const open = new Set(names);
    const outcome = new Map<string, boolean>();
    /** The last state streamed for each service: a repeat says nothing. */
    const shown = new Map<string, string>();
    const show = (event: ServiceEvent) => {
      const key = `${event.state} ${event.pid}`;
      if (shown.get(event.name) === key) return;
      shown.set(event.name, key);
      this.#send(withId<EventLine>({ event }, request.id));
    };
    const settle = (name: string) => {
      const s = sup.status(name);
      const verdict = s === null
        ? "fail"
        : judge(s.state, s.wantUp || passive, target);
      if (verdict === "pending") return;
      open.delete(name);
      outcome.set(name, verdict === "ok");
    };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      unsubscribe();
      this.#cleanups.delete(unsubscribe);
      done(withErrors({
        ok: true,
        results: names.map((name) => ({
          name,
          state: sup.status(name)?.state ?? "DOWN",
          ok: outcome.get(name) ?? false,
        })),
      }, errors));
    };
    if (request.verbose) {
      const now = Math.round(sup.now());
      for (const name of waited) {
        const s = sup.status(name);
        if (s !== null) show({ name, state: s.state, pid: s.pid, time: now });
      }
    }
    const unsubscribe = sup.subscribe((event) => {
      if (!waited.has(event.name)) return;
      // A listener must never throw into the supervisor.
      try {
        if (request.verbose) show(event);
        if (open.has(event.name)) settle(event.name);
        if (open.size === 0) finish();
      } catch (err) {
        reportInternal(this.#server.ctx, "following a wait", err);
      }
    });
    this.#cleanups.add(unsubscribe);
    act();
    for (const name of names) if (open.has(name)) settle(name);
    if (open.size === 0) finish();
  }

  #follow(replay: boolean, id: string | number | undefined): void {
    const sup = this.#sup;
    if (replay) {
      for (const event of sup.history.toArray()) {
        this.#send(withId<EventLine>({ event }, id));
      }
    }
    const unsubscribe = sup.subscribe((event: ServiceEvent) => {
      try {
        this.#send(withId<EventLine>({ event }, id));
      } catch (err) {
        reportInternal(this.#server.ctx, "sending an event", err);
      }
    });
    this.#cleanups.add(unsubscribe);
  }
}

function withId<T extends ServerLine>(
  line: T,
  id: string | number | undefined,
): T {
  return id === undefined ? line : { ...line, id };
}

/** `response` with the arguments that failed, when some did. */
function withErrors<T extends Response>(
  response: T,
  errors: ServiceError[],
): T {
  return errors.length === 0 ? response : { ...response, errors };
}

function errorResponse(err: RequestError): ErrorResponse {
  return {
    ok: false,
    error: {
      code: err.code,
      message: err.message,
      ...(err.service === undefined ? {} : { service: err.service }),
    },
  };
}

function listing(sup: ControlSupervisor, name: string): ServiceStatus | null {
  const s = sup.status(name);
  if (s === null) return null; // Gone while the request was resolved.
  return {
    name,
    state: s.state,
    pid: s.pid,
    wstatus: s.wstatus,
    seconds: Math.floor((sup.now() - s.since) / 1000),
  };
}

function detail(sup: ControlSupervisor, name: string): ServiceDetail | null {
  const status = listing(sup, name);
  if (status === null) return null;
  const facts = sup.detail(name);
  const running = status.state === "STARTING" || status.state === "UP";
  const started = facts?.runStarted ?? null;
  return {
    ...status,
    uptime: running && started !== null
      ? Math.max(0, Math.floor((sup.now() - started) / 1000))
      : null,
    restarts: facts?.restarts ?? 0,
    lastExit: facts?.lastExit == null ? null : describeExit(facts.lastExit),
    logger: facts?.logger ?? null,
    readiness: facts?.readiness ?? "timer",
    reason: facts?.reason ?? null,
  };
}

function results(sup: ControlSupervisor, names: string[]): ServiceResult[] {
  return names.map((name) => ({
    name,
    state: sup.status(name)?.state ?? "DOWN",
    ok: true,
  }));
}
