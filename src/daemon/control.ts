/**
 * The control socket: accepts clients, reads newline-delimited JSON
 * requests (bounded in size, count and idleness), and answers them from the
 * supervisor. A bad client gets an error line or a closed connection; it
 * never disturbs the daemon or other clients.
 *
 * @module
 */

import {
  type ErrorCode,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  type Response,
  type ServerLine,
  type ServiceEvent,
  type ServiceResult,
  type ServiceStatus,
  SIGNALS,
  type State,
  type WaitTarget,
} from "../protocol.ts";
import { nameProblem } from "../config/names.ts";
import type { EndMode, Supervisor } from "./supervisor.ts";

/** At most this many clients are served at once. */
export const MAX_CLIENTS = 64;
/** A client with nothing in flight for this long is disconnected. */
export const IDLE_MS = 60_000;
/** A client that stops reading is dropped once this many lines queue up. */
const MAX_QUEUED_LINES = 2048;
/** The version reported by `info`. */
export const VERSION = "0.1.0";

/** What the control server needs from its surroundings. */
export interface ControlContext {
  supervisor: Supervisor;
  /** Start the end of the system (answers first, then goes down). */
  end: (mode: EndMode) => void;
  pid1: boolean;
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
  let clients = 0;
  for await (const conn of listenerConnections(listener)) {
    if (clients >= MAX_CLIENTS) {
      refuse(conn);
      continue;
    }
    clients++;
    new Client(conn, ctx).serve().finally(() => clients--);
  }
}

/** Accept connections, ending quietly when the listener closes. */
async function* listenerConnections(
  listener: Deno.Listener,
): AsyncGenerator<Deno.Conn> {
  while (true) {
    try {
      yield await listener.accept();
    } catch {
      return;
    }
  }
}

function refuse(conn: Deno.Conn): void {
  const line = JSON.stringify({
    ok: false,
    error: { code: "bad-request", message: "too many clients" },
  }) + "\n";
  conn.write(new TextEncoder().encode(line)).catch(() => {}).finally(() => {
    try {
      conn.close();
    } catch {
      // Closed by the peer.
    }
  });
}

/** One connected client. */
class Client {
  #conn: Deno.Conn;
  #ctx: ControlContext;
  #closed = false;
  #queued = 0;
  #writing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #cleanups: (() => void)[] = [];
  #encoder = new TextEncoder();

  constructor(conn: Deno.Conn, ctx: ControlContext) {
    this.#conn = conn;
    this.#ctx = ctx;
  }

  async serve(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    const buf = new Uint8Array(8192);
    this.#armIdle();
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        pending += decoder.decode(buf.subarray(0, n), { stream: true });
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (byteLength(line) > MAX_REQUEST_BYTES) {
            return this.#tooLong();
          }
          if (line.trim() !== "") this.#handle(line);
        }
        if (byteLength(pending) > MAX_REQUEST_BYTES) return this.#tooLong();
      }
    } catch {
      // Connection reset: nothing to answer.
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idle);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups = [];
    this.#writing.finally(() => {
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    });
  }

  #tooLong(): void {
    this.#send({
      ok: false,
      error: {
        code: "too-long",
        message: `request longer than ${MAX_REQUEST_BYTES} bytes`,
      },
    });
    this.close();
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    if (this.#inFlight > 0 || this.#closed) return;
    this.#idle = setTimeout(() => this.close(), IDLE_MS);
  }

  /** Queue one line; drop a client that does not read what it asked for. */
  #send(line: ServerLine): void {
    if (this.#closed) return;
    if (++this.#queued > MAX_QUEUED_LINES) {
      this.close();
      return;
    }
    const bytes = this.#encoder.encode(JSON.stringify(line) + "\n");
    this.#writing = this.#writing.then(async () => {
      try {
        let off = 0;
        while (off < bytes.length) {
          off += await this.#conn.write(bytes.subarray(off));
        }
      } catch {
        this.close();
      } finally {
        this.#queued--;
      }
    });
  }

  #handle(line: string): void {
    let req: Record<string, unknown>;
    try {
      const parsed = JSON.parse(line);
      if (
        typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
      ) {
        throw new Error("not an object");
      }
      req = parsed;
    } catch {
      this.#send({
        ok: false,
        error: { code: "bad-request", message: "request is not a JSON object" },
      });
      return;
    }
    const id = typeof req.id === "string" || typeof req.id === "number"
      ? req.id
      : undefined;
    this.#inFlight++;
    clearTimeout(this.#idle);
    const done = (response: Response) => {
      this.#send(id === undefined ? response : { ...response, id });
      this.#inFlight--;
      this.#armIdle();
    };
    try {
      this.#dispatch(req, id, done);
    } catch (err) {
      if (err instanceof RequestError) {
        done({
          ok: false,
          error: {
            code: err.code,
            message: err.message,
            ...(err.service === undefined ? {} : { service: err.service }),
          },
        });
      } else {
        done({
          ok: false,
          error: { code: "bad-request", message: String(err) },
        });
      }
    }
  }

  #dispatch(
    req: Record<string, unknown>,
    id: string | number | undefined,
    done: (r: Response) => void,
  ): void {
    const sup = this.#ctx.supervisor;
    const op = req.op;
    switch (op) {
      case "list": {
        const names = req.services === undefined
          ? sup.names()
          : this.#resolve(req, false);
        return done({ ok: true, services: names.map((n) => listing(sup, n)) });
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
            uptime: Math.round(sup.now()),
            dir: sup.dir,
            pid1: this.#ctx.pid1,
          },
        });
      case "up":
      case "down":
      case "restart": {
        const create = op !== "down";
        if (create && sup.stopping) {
          throw new RequestError("shutting-down", "nitro is shutting down");
        }
        const names = this.#resolve(req, create);
        const system = names.find((name) => sup.isSystem(name));
        if (system !== undefined) {
          throw new RequestError(
            "bad-name",
            "nitro itself runs SYS; it takes no requests",
            system,
          );
        }
        const act = () => {
          for (const name of names) sup.input(name, { type: op });
        };
        const wait = waitTarget(req.wait);
        if (wait === null) {
          act();
          return done({ ok: true, results: results(sup, names) });
        }
        // Subscribe first, so -v sees the transitions the request causes.
        return this.#wait(names, wait, req.verbose === true, id, done, act);
      }
      case "wait": {
        const wait = waitTarget(req.wait);
        if (wait === null) {
          throw new RequestError("bad-request", "wait needs a target");
        }
        // A pure wait asked for nothing: a service not wanted up is waited
        // for (until -t), not failed.
        return this.#wait(
          this.#resolve(req, false),
          wait,
          req.verbose === true,
          id,
          done,
          () => {},
          true,
        );
      }
      case "ready": {
        const names = this.#resolve(req, false);
        for (const name of names) sup.input(name, { type: "ready" });
        return done({ ok: true, results: results(sup, names) });
      }
      case "signal": {
        const signal = SIGNALS.find((s) => s === req.signal);
        if (signal === undefined) {
          throw new RequestError("bad-request", "unknown signal");
        }
        const names = this.#resolve(req, false);
        for (const name of names) sup.signal(name, signal);
        return done({ ok: true, results: results(sup, names) });
      }
      case "pidof": {
        const pids: Record<string, number | null> = {};
        for (const name of this.#resolve(req, false)) {
          pids[name] = sup.status(name)?.pid ?? null;
        }
        return done({ ok: true, pids });
      }
      case "rescan":
        sup.rescan();
        return done({ ok: true });
      case "events":
        return this.#follow(req.replay === true, id);
      case "shutdown":
      case "reboot":
        done({ ok: true });
        this.#ctx.end(op);
        return;
      default:
        throw new RequestError(
          "unknown-op",
          `unknown op ${JSON.stringify(op)}`,
        );
    }
  }

  /** Service names of the request, validated; instances made if `create`. */
  #resolve(req: Record<string, unknown>, create: boolean): string[] {
    const sup = this.#ctx.supervisor;
    const refs = req.services;
    if (!Array.isArray(refs) || refs.some((r) => typeof r !== "string")) {
      throw new RequestError("bad-request", "services must be a list of names");
    }
    const hint = typeof req.hint === "string" ? req.hint : undefined;
    const names: string[] = [];
    for (const ref of refs as string[]) {
      if (ref.startsWith("/")) {
        const name = sup.byDirectory(ref, hint);
        if (name === null) {
          throw new RequestError("no-such-service", "no such service", ref);
        }
        names.push(name);
        continue;
      }
      const problem = nameProblem(ref);
      if (problem !== null) {
        throw new RequestError("bad-name", problem, ref);
      }
      if (!sup.has(ref) && !(create && sup.ensureInstance(ref))) {
        throw new RequestError("no-such-service", "no such service", ref);
      }
      names.push(ref);
    }
    return names;
  }

  #wait(
    names: string[],
    target: WaitTarget,
    verbose: boolean,
    id: string | number | undefined,
    done: (r: Response) => void,
    act: () => void = () => {},
    passive = false,
  ): void {
    const sup = this.#ctx.supervisor;
    const open = new Set(names);
    const outcome = new Map<string, boolean>();
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
      done({
        ok: true,
        results: names.map((name) => ({
          name,
          state: sup.status(name)?.state ?? "DOWN",
          ok: outcome.get(name) ?? false,
        })),
      });
    };
    const unsubscribe = sup.subscribe((event) => {
      if (!names.includes(event.name)) return;
      if (verbose) this.#send(withId({ event }, id));
      if (open.has(event.name)) settle(event.name);
      if (open.size === 0) finish();
    });
    this.#cleanups.push(unsubscribe);
    act();
    for (const name of names) if (open.has(name)) settle(name);
    if (open.size === 0) finish();
  }

  #follow(replay: boolean, id: string | number | undefined): void {
    const sup = this.#ctx.supervisor;
    if (replay) {
      for (const event of sup.history.toArray()) {
        this.#send(withId({ event }, id));
      }
    }
    const unsubscribe = sup.subscribe((event: ServiceEvent) =>
      this.#send(withId({ event }, id))
    );
    this.#cleanups.push(unsubscribe);
  }
}

function withId<T extends object>(line: T, id: string | number | undefined) {
  return id === undefined ? line : { ...line, id };
}

function byteLength(s: string): number {
  // Cheap upper bound first: UTF-16 length × 3 covers every encoding.
  return s.length * 3 <= MAX_REQUEST_BYTES
    ? s.length
    : new TextEncoder().encode(s).length;
}

function waitTarget(value: unknown): WaitTarget | null {
  const targets: WaitTarget[] = [
    "up",
    "down",
    "starting",
    "shutdown",
    "restart",
  ];
  return targets.find((t) => t === value) ?? null;
}

/** Whether `state` satisfies `target`, has failed it, or may still. */
export function judge(
  state: State,
  wantUp: boolean,
  target: WaitTarget,
): "ok" | "fail" | "pending" {
  switch (target) {
    case "up":
      if (state === "UP" || state === "ONESHOT") return "ok";
      return state === "FATAL" || (state === "DOWN" && !wantUp)
        ? "fail"
        : "pending";
    case "starting":
      if (state === "STARTING" || state === "UP" || state === "ONESHOT") {
        return "ok";
      }
      return state === "FATAL" || (state === "DOWN" && !wantUp)
        ? "fail"
        : "pending";
    case "down":
      return state === "DOWN" || state === "FATAL" ? "ok" : "pending";
    case "shutdown":
      return state === "SHUTDOWN" || state === "DOWN" || state === "FATAL"
        ? "ok"
        : "pending";
    case "restart":
      return state === "FATAL" ? "fail" : state === "DOWN" ? "pending" : "ok";
  }
}

function listing(sup: Supervisor, name: string): ServiceStatus {
  const s = sup.status(name)!;
  return {
    name,
    state: s.state,
    pid: s.pid,
    wstatus: s.wstatus,
    seconds: Math.floor((sup.now() - s.since) / 1000),
  };
}

function results(sup: Supervisor, names: string[]): ServiceResult[] {
  return names.map((name) => ({
    name,
    state: sup.status(name)?.state ?? "DOWN",
    ok: true,
  }));
}
