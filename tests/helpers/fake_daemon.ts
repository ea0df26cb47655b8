/**
 * A scriptable stand-in for the nitro daemon: a real Unix socket in a fresh
 * temp dir that speaks the control protocol as each test's handler says.
 *
 * @module
 */

import type {
  DaemonInfo,
  ErrorCode,
  Request,
  ServiceDetail,
  ServiceError,
  ServiceEvent,
  ServiceResult,
  ServiceStatus,
  State,
} from "../../src/protocol.ts";

/** The way a handler answers one request. */
export interface Reply {
  /** Write a line answering this request (its `id` is added). */
  send(line: Record<string, unknown>): Promise<void>;
  /** Stream a state change for this request. */
  event(name: string, state: State, pid?: number | null): Promise<void>;
  /** The final ok response, with the given fields. */
  ok(fields?: Record<string, unknown>): Promise<void>;
  /** The final error response. */
  fail(code: ErrorCode, message: string, service?: string): Promise<void>;
  /** Write raw text or bytes on the connection, as they are. */
  raw(data: string | Uint8Array): Promise<void>;
  /** Close the connection from the daemon's side. */
  hangup(): void;
  /** Resolves once the connection is closed (by either side). */
  closed: Promise<void>;
}

/** Answers one request. May take its time; requests are handled concurrently. */
export type Handler = (request: Request, reply: Reply) => unknown;

const encoder = new TextEncoder();

/** A fake daemon listening on `path`; close it (or `await using`) after use. */
export class FakeDaemon implements AsyncDisposable {
  /** Every request received, in arrival order. */
  readonly requests: Request[] = [];
  /** Number of connections accepted so far. */
  connections = 0;
  /** Number of connections currently open. */
  open = 0;
  readonly #listener: Deno.UnixListener;
  readonly #conns = new Set<Deno.UnixConn>();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #errors: unknown[] = [];
  #accepting: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly path: string,
    readonly handler: Handler,
  ) {
    this.#listener = Deno.listen({ transport: "unix", path });
    this.#accepting = this.#accept();
  }

  /** Listen on a new socket in a new temp dir. */
  static async start(handler: Handler): Promise<FakeDaemon> {
    const dir = await Deno.makeTempDir({ prefix: "nitro-fake-" });
    return new FakeDaemon(dir, `${dir}/nitro.sock`, handler);
  }

  /** The requests with this op. */
  ops(op: Request["op"]): Request[] {
    return this.requests.filter((r) => r.op === op);
  }

  /** Stop listening, close every connection, remove the temp dir. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) closeQuietly(conn);
    await Promise.allSettled([...this.#tasks]);
    await Deno.remove(this.dir, { recursive: true });
    if (this.#errors.length > 0) throw this.#errors[0];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.connections++;
        this.#track(this.#serve(conn));
      }
    } catch {
      // Listener closed.
    }
  }

  #track(task: Promise<unknown>): void {
    const tracked = task.catch((e) => this.#errors.push(e));
    this.#tasks.add(tracked);
    tracked.finally(() => this.#tasks.delete(tracked));
  }

  async #serve(conn: Deno.UnixConn): Promise<void> {
    this.#conns.add(conn);
    this.open++;
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => markClosed = resolve);
    const write = async (data: string | Uint8Array) => {
      const bytes = typeof data === "string" ? encoder.encode(data) : data;
      try {
        for (let off = 0; off < bytes.length;) {
          off += await conn.write(bytes.subarray(off));
        }
      } catch {
        // The client went away; tests check what it saw, not our writes.
      }
    };
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of conn.readable) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const request = JSON.parse(buffered.slice(0, newline)) as Request;
          buffered = buffered.slice(newline + 1);
          this.requests.push(request);
          const line = (fields: Record<string, unknown>) =>
            write(JSON.stringify({ id: request.id, ...fields }) + "\n");
          const reply: Reply = {
            send: line,
            event: (name, state, pid = null) =>
              line({ event: { name, state, pid, time: 0 } }),
            ok: (fields = {}) => line({ ok: true, ...fields }),
            fail: (code, message, service) =>
              line({ ok: false, error: { code, message, service } }),
            raw: write,
            hangup: () => closeQuietly(conn),
            closed,
          };
          this.#track(Promise.resolve(this.handler(request, reply)));
        }
      }
    } catch {
      // Closed by hangup() or close().
    } finally {
      this.open--;
      this.#conns.delete(conn);
      closeQuietly(conn);
      markClosed();
    }
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** A service status for a test table. */
export function status(
  name: string,
  state: State,
  pid: number | null = null,
  wstatus = 0,
  seconds = 0,
): ServiceStatus {
  return { name, state, pid, wstatus, seconds };
}

/** An event as the fake daemon sends it. */
export function event(
  name: string,
  state: State,
  pid: number | null = null,
): ServiceEvent {
  return { name, state, pid, time: 0 };
}

/** The details `status` reports for a service of a test table. */
export function detail(
  s: ServiceStatus,
  extra: Partial<ServiceDetail> = {},
): ServiceDetail {
  const running = s.state === "UP" || s.state === "STARTING";
  return {
    ...s,
    uptime: running ? s.seconds : null,
    restarts: 0,
    lastExit: s.wstatus === 0 ? null : `exited ${(s.wstatus >> 8) & 0xff}`,
    logger: null,
    readiness: "timer",
    reason: s.state === "FATAL" ? "run is not executable" : null,
    ...extra,
  };
}

/** What the fake daemon's `info` answers. */
export const FAKE_INFO: DaemonInfo = {
  pid: 1234,
  protocol: 1,
  version: "0.1.0-fake",
  services: 3,
  reaps: 7,
  svReaps: 5,
  fds: 11,
  rss: 40_000_000,
  boot: 12,
  uptime: 61_999,
  dir: "/etc/nitro",
  pid1: false,
};

/**
 * A handler that behaves like a small, idle nitro with these services:
 * answers list/status/pidof/info from the table and acknowledges every
 * action with `ok` results whose state is the service's current one
 * (`signal` fails for a service without a pid). Unknown names are handled
 * as nitro does: listed in `errors` while the others are served, or the
 * whole request refused as `no-such-service` when none is known.
 */
export function basicHandler(
  table: ServiceStatus[],
  details: ServiceDetail[] = table.map((s) => detail(s)),
): Handler {
  const byName = new Map(table.map((s) => [s.name, s]));
  return async (request, reply) => {
    const asked = "services" in request ? request.services ?? [] : [];
    const names = asked.filter((n) => byName.has(n));
    const errors: ServiceError[] = asked
      .filter((n) => !byName.has(n))
      .map((service) => ({
        service,
        code: "no-such-service",
        message: "no such service",
      }));
    if (names.length === 0 && errors.length > 0) {
      const { code, message, service } = errors[0];
      return await reply.fail(code, message, service);
    }
    const partial = errors.length > 0 ? { errors } : {};
    const some = <T extends { name: string }>(rows: T[]) =>
      "services" in request && request.services !== undefined
        ? rows.filter((s) => names.includes(s.name))
        : rows;
    switch (request.op) {
      case "list":
        return await reply.ok({ services: some(table), ...partial });
      case "status":
        return await reply.ok({ details: some(details), ...partial });
      case "info":
        return await reply.ok({
          info: { ...FAKE_INFO, services: table.length },
        });
      case "pidof":
        return await reply.ok({
          pids: Object.fromEntries(names.map((n) => [n, byName.get(n)!.pid])),
          ...partial,
        });
      case "events":
        return; // streams nothing until the test says so
      default: {
        const results: ServiceResult[] = names.map((n) => ({
          name: n,
          state: byName.get(n)!.state,
          ok: request.op !== "signal" || byName.get(n)!.pid !== null,
        }));
        return await reply.ok({ results, ...partial });
      }
    }
  };
}

/**
 * A socket that behaves like a full nitro: every connection gets a `busy`
 * answer at once and is closed, its request never read (so writing a long
 * one may fail with EPIPE).
 */
export class BusyServer implements AsyncDisposable {
  readonly sock: string;
  #listener: Deno.Listener;
  #serving: Promise<void>;

  private constructor(readonly dir: string, message: string) {
    this.sock = `${dir}/nitro.sock`;
    this.#listener = Deno.listen({ transport: "unix", path: this.sock });
    const line = new TextEncoder().encode(
      JSON.stringify({ ok: false, error: { code: "busy", message } }) + "\n",
    );
    const listener = this.#listener;
    this.#serving = (async () => {
      for await (const conn of listener) {
        await conn.write(line).catch(() => {});
        conn.close();
      }
    })();
  }

  /** Listen in a fresh temporary directory, answering `busy` with `message`. */
  static async start(message: string): Promise<BusyServer> {
    const dir = await Deno.makeTempDir({ prefix: "nitro-busy-" });
    return new BusyServer(dir, message);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#serving.catch(() => {});
    await Deno.remove(this.dir, { recursive: true });
  }
}
