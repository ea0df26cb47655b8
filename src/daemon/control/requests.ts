/**
 * The meaning of control requests: each line is validated (`parseRequest`
 * in src/protocol.ts) and answered from the supervisor. How lines come and
 * go, and the bounds on connections, are the transport's (transport.ts).
 *
 * A bad request gets an error line; it never disturbs the daemon or other
 * clients. A bug of the daemon's is reported (nitro's console) and answered
 * with the code `internal`.
 *
 * @module
 */

import meta from "../../../deno.json" with { type: "json" };
import {
  type ErrorCode,
  type ErrorResponse,
  type EventLine,
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
  type State,
  type WaitTarget,
} from "../../protocol.ts";
import { judge } from "../../core/wait.ts";
import { describeExit } from "../../core/exit_status.ts";
import { pickService } from "../dir_index.ts";
import type { ServiceDetailFacts, ServiceSnapshot } from "../supervisor.ts";
import type { Channel, LineHandler, ReceivedLine } from "./transport.ts";

/** The version reported by `info`: the project's, from deno.json. */
const VERSION: string = meta.version;

/** What the control server needs of the supervisor. */
export interface ControlSupervisor {
  readonly dir: string;
  readonly history: { toArray(): ServiceEvent[] };
  readonly reaps: number;
  readonly svReaps: number;
  /** Monotonic time the current boot began. */
  readonly bootTime: number;
  readonly stopping: boolean;
  /** Maps service directory paths to the services using them. */
  readonly directories: { resolve(path: string): Promise<string[]> };
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

/** What the requests need from their surroundings. */
export interface RequestContext {
  supervisor: ControlSupervisor;
  /** Start the end of the system (answers first, then goes down). */
  end: (mode: "shutdown" | "reboot") => void;
  pid1: boolean;
  /** Most `events` followers (for the message that refuses one more). */
  subscribers: number;
  /** Where a bug of nitro's is told (nitro's console). */
  report: (during: string, err: unknown) => void;
  /** nitro's open fds for `info` (-1: unknown). */
  openFds: () => Promise<number>;
}

/** A failure that becomes an error response. */
class RequestError extends Error {
  readonly code: ErrorCode;
  readonly service?: string;

  constructor(code: ErrorCode, message: string, service?: string) {
    super(message);
    this.code = code;
    if (service !== undefined) this.service = service;
  }
}

/** How a request ends: its final response (sent at most once). */
type Done = (response: Response) => void;

/**
 * Memory a parked wait holds beyond its request line: its listener, sets
 * and closures (measured at about 2.1 KB a wait). It counts against its
 * connection's budget, which bounds how many one client can park.
 */
export const WAIT_BYTES = 2048;

/** A request being answered. */
interface Exchange {
  request: Request;
  /** When the request was read (see {@link ReceivedLine}). */
  receivedAt: number;
  /** Service arguments refused already (bad names). */
  rejected: ServiceError[];
  done: Done;
  /** The request waits for services from now on (see `Ticket.park`). */
  park: () => void;
}

/** The services of a request, as {@link Requests.resolve} takes them. */
interface Named {
  services?: string[];
  hint?: string;
}

/** Options of {@link Requests.resolve}. */
interface ResolveOptions {
  /** Service arguments refused already (bad names): failures come first. */
  rejected: ServiceError[];
  /** Make `NAME@PARAM` instances of existing templates. */
  create?: boolean;
  /** The request changes services: SYS is refused (nitro itself runs it). */
  changes?: boolean;
}

/** Options of {@link Requests.wait}. */
interface WaitOptions {
  /** What is waited for, and whether each change is streamed. */
  request: { wait: WaitTarget; verbose?: boolean; id?: string | number };
  /** Arguments that failed, reported with the results. */
  errors: ServiceError[];
  /** Asks for the change waited for, once the wait listens. */
  act?: () => void;
  /**
   * A pure wait asked for nothing: a service not wanted up is waited for
   * (until the client gives up), not failed.
   */
  passive?: boolean;
}

/** Answers requests from the supervisor. */
export class Requests implements LineHandler {
  #ctx: RequestContext;
  #sup: ControlSupervisor;
  /** When the last rescan asked of the supervisor began. */
  #rescanned = -Infinity;

  constructor(ctx: RequestContext) {
    this.#ctx = ctx;
    this.#sup = ctx.supervisor;
  }

  async serve(channel: Channel, line: ReceivedLine): Promise<void> {
    const { text, lossy, receivedAt } = line;
    const parsed = parseRequest(text, { lossy });
    if (!parsed.ok) return channel.send(parsed.response);
    const { request, rejected } = parsed;
    const ticket = channel.begin();
    // A string holds two bytes a character; the request is kept as parsed.
    const park = () => ticket.park(WAIT_BYTES + 2 * text.length);
    let answered = false;
    const done: Done = (response) => {
      if (answered) return;
      answered = true;
      channel.send(withId(response, request.id));
      ticket.end();
    };
    try {
      await this.#dispatch(channel, {
        request,
        receivedAt,
        rejected,
        done,
        park,
      });
    } catch (err) {
      if (err instanceof RequestError) {
        done(errorResponse(err));
      } else {
        this.#ctx.report(`answering ${JSON.stringify(request.op)}`, err);
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
    channel: Channel,
    { request, receivedAt, rejected, done, park }: Exchange,
  ): Promise<void> {
    const sup = this.#sup;
    switch (request.op) {
      case "list": {
        const { names, errors } = request.services === undefined
          ? { names: sup.names(), errors: [] }
          : await this.#resolve(request, { rejected });
        const services = names.map((n) => listing(sup, n))
          .filter((s) => s !== null);
        return done(withErrors({ ok: true, services }, errors));
      }
      case "status": {
        const { names, errors } = request.services === undefined
          ? { names: sup.names(), errors: [] }
          : await this.#resolve(request, { rejected });
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
            fds: await this.#ctx.openFds(),
            rss: Deno.memoryUsage().rss,
            boot: sup.bootTime,
            uptime: Math.round(sup.now()),
            dir: sup.dir,
            pid1: this.#ctx.pid1,
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
        const { names, errors } = await this.#resolve(request, {
          rejected,
          create,
          changes: true,
        });
        const act = () => {
          for (const name of names) sup.request(name, { type: op });
        };
        const wait = request.wait;
        if (wait === undefined) {
          if (request.verbose) {
            // What the request made happen, as it happened.
            const asked = new Set(names);
            const stop = sup.subscribe((event) => {
              if (asked.has(event.name)) {
                channel.send(withId<EventLine>({ event }, request.id));
              }
            });
            try {
              act();
            } finally {
              stop();
            }
          } else act();
          return done(withErrors(
            { ok: true, results: results(sup, names) },
            errors,
          ));
        }
        return this.#wait(channel, names, { done, park }, {
          request: { ...request, wait },
          errors,
          act,
        });
      }
      case "wait": {
        const { names, errors } = await this.#resolve(request, { rejected });
        return this.#wait(channel, names, { done, park }, {
          request,
          errors,
          passive: true,
        });
      }
      case "ready": {
        const { names, errors } = await this.#resolve(request, {
          rejected,
          changes: true,
        });
        for (const name of names) sup.request(name, { type: "ready" });
        return done(
          withErrors({ ok: true, results: results(sup, names) }, errors),
        );
      }
      case "signal": {
        const { names, errors } = await this.#resolve(request, { rejected });
        const signal = request.signal;
        const outcome = names.map((name) => ({
          name,
          state: sup.status(name)?.state ?? "DOWN",
          ok: sup.signal(name, signal),
        }));
        return done(withErrors({ ok: true, results: outcome }, errors));
      }
      case "pidof": {
        const { names, errors } = await this.#resolve(request, { rejected });
        const pids: Record<string, number | null> = {};
        for (const name of names) pids[name] = sup.status(name)?.pid ?? null;
        return done(withErrors({ ok: true, pids }, errors));
      }
      case "rescan":
        // A rescan begun after the client sent this one read everything
        // it could want read: pipelined rescans cost one.
        if (this.#rescanned < receivedAt) {
          this.#rescanned = performance.now();
          sup.rescan();
        }
        return done({ ok: true });
      case "events":
        if (!channel.follow()) {
          const max = this.#ctx.subscribers;
          throw new RequestError(
            "busy",
            `too many clients: ${max} are following events already`,
          );
        }
        return this.#follow(channel, request);
      case "shutdown":
      case "reboot":
        done({ ok: true });
        this.#ctx.end(request.op);
        return;
    }
  }

  /**
   * The services a request names, in order: names as they are, paths
   * through the directory index. Arguments that fail are returned as
   * `errors`; when none succeeds, the first failure is thrown.
   */
  async #resolve(
    request: Named,
    options: ResolveOptions,
  ): Promise<{ names: string[]; errors: ServiceError[] }> {
    const sup = this.#sup;
    const refs = request.services ?? [];
    const hint = request.hint;
    // Every path at once: one stat each, none blocking the event loop.
    const resolved = await Promise.all(refs.map(async (ref) => {
      if (!ref.startsWith("/")) return ref;
      const candidates = (await sup.directories.resolve(ref))
        .filter((name) => sup.has(name));
      return pickService(candidates, hint, ref.slice(ref.lastIndexOf("/") + 1));
    }));
    const names: string[] = [];
    const errors = [...options.rejected];
    for (const [i, ref] of refs.entries()) {
      const name = resolved[i];
      const fail = (code: ErrorCode, message: string) =>
        errors.push({ service: ref, code, message });
      if (name === null) fail("no-such-service", "no such service");
      else if (options.changes && sup.isSystem(name)) {
        fail("bad-name", "nitro itself runs SYS; it takes no requests");
      } else if (
        sup.has(name) || (options.create && sup.ensureInstance(name))
      ) {
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
   * Answer once every service reached the target or failed it, judged as
   * C nitroctl judges: at each announcement, by the state announced. With
   * `verbose`, every event of the services until then - after their
   * current state, for a pure wait (C nitroctl asks for it first).
   */
  #wait(
    channel: Channel,
    names: string[],
    { done, park }: Pick<Exchange, "done" | "park">,
    options: WaitOptions,
  ): void {
    const sup = this.#sup;
    const { request, errors, passive = false } = options;
    const waited = new Set(names);
    const open = new Set(names);
    const outcome = new Map<string, boolean>();
    const show = (event: ServiceEvent) =>
      channel.send(withId<EventLine>({ event }, request.id));
    /** Judge `name` in `state` (by default, the state it is in now). */
    const settle = (name: string, state?: State) => {
      const s = sup.status(name);
      let verdict = s === null
        ? "fail"
        : judge(state ?? s.state, s.wantUp || passive, request.wait);
      // A pure wait asked for nothing: as C nitroctl's, it waits on
      // through FATAL (someone may start it again), up to the client's -t.
      if (passive && s !== null && verdict === "fail") verdict = "pending";
      if (verdict === "pending") return;
      open.delete(name);
      outcome.set(name, verdict === "ok");
    };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      unsubscribe();
      forget();
      done(withErrors({
        ok: true,
        results: names.map((name) => ({
          name,
          state: sup.status(name)?.state ?? "DOWN",
          ok: outcome.get(name) ?? false,
        })),
      }, errors));
    };
    if (request.verbose && passive) {
      const now = Math.round(sup.now());
      for (const name of waited) {
        const s = sup.status(name);
        if (s === null) continue;
        const { state, pid } = s;
        show({ name, state, notice: state, pid, time: now });
      }
    }
    const unsubscribe = sup.subscribe((event) => {
      if (!waited.has(event.name)) return;
      // A listener must never throw into the supervisor.
      try {
        if (request.verbose && open.has(event.name)) show(event);
        // Judged as C nitroctl judges: by what is announced (an event
        // that does not say counts as announced).
        const notice = event.notice === undefined ? event.state : event.notice;
        if (open.has(event.name) && notice !== null) {
          settle(event.name, notice);
        }
        if (open.size === 0) finish();
      } catch (err) {
        this.#ctx.report("following a wait", err);
      }
    });
    const forget = channel.onClose(unsubscribe);
    options.act?.();
    for (const name of names) if (open.has(name)) settle(name);
    if (open.size === 0) finish();
    else park();
  }

  /** Stream every event to `channel` (the history first with `replay`). */
  #follow(
    channel: Channel,
    request: { replay?: boolean; id?: string | number },
  ): void {
    const sup = this.#sup;
    if (request.replay) {
      for (const event of sup.history.toArray()) {
        channel.send(withId<EventLine>({ event }, request.id));
      }
    }
    const unsubscribe = sup.subscribe((event: ServiceEvent) => {
      try {
        channel.send(withId<EventLine>({ event }, request.id));
      } catch (err) {
        this.#ctx.report("sending an event", err);
      }
    });
    channel.onClose(unsubscribe);
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
    readiness: facts ? facts.readiness : "timer",
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
