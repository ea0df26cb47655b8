/**
 * The client's requests, carried out against C nitro: each request of the
 * JSON protocol becomes one SPAT request per service (or one in all), and
 * C nitro's answers become the JSON protocol's answers. What C nitro does
 * not tell is null in them (restarts, readiness, most of `info`), never
 * made up. Loaded only when the control socket turned out to be a datagram
 * socket, so the JSON client pays nothing for it.
 *
 * @module
 */

import {
  type EventsOptions,
  NitroError,
  type Outgoing,
  type SendOptions,
} from "../client.ts";
import { signalNumber } from "../config/signals.ts";
import { describeExit } from "../core/exit_status.ts";
import { judge } from "../core/wait.ts";
import type {
  DaemonInfo,
  OkResponse,
  ServiceDetail,
  ServiceError,
  ServiceEvent,
  ServiceResult,
  ServiceStatus,
  State,
  WaitTarget,
} from "../protocol.ts";
import {
  type CommandTag,
  MAX_NAME_BYTES,
  type Reply,
  type SpatService,
  TAG,
} from "./codec.ts";
import { SpatLink } from "./link.ts";

/**
 * A Deno error saying the socket is not a stream socket: EPROTOTYPE, 91 on
 * Linux, 41 on the BSDs and macOS.
 */
const WRONG_TYPE = Deno.build.os === "linux" ? 91 : 41;

/**
 * Whether a failure to connect says the socket is a datagram socket, as C
 * nitro's is: its `cause` is the OS error EPROTOTYPE.
 *
 * @example
 * ```ts
 * import { isDatagramSocket } from "./transport.ts";
 * console.assert(!isDatagramSocket(new Error("No such file (os error 2)")));
 * ```
 */
export function isDatagramSocket(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined
    ? error.cause
    : error;
  return cause instanceof Error &&
    cause.message.endsWith(`(os error ${WRONG_TYPE})`);
}

/** The values of the services served, and the errors of the others. */
interface Served<T> {
  values: T[];
  rest: { ok: true; errors?: ServiceError[] };
}

/** What became of one service argument. */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };

/**
 * The JSON protocol's requests over SPAT, for {@link NitroClient}.
 *
 * @example
 * ```ts ignore
 * import { SpatTransport } from "./transport.ts";
 * const c = new SpatTransport("/run/nitro/nitro.sock");
 * const { services } = await c.send({ op: "list" });
 * c.close();
 * ```
 */
export class SpatTransport {
  readonly link: SpatLink;

  constructor(path: string) {
    this.link = new SpatLink(path);
  }

  /** Carry out one request; resolve with the answer the JSON daemon gives. */
  async send(request: Outgoing, opts: SendOptions = {}): Promise<OkResponse> {
    const { signal, onEvent } = opts;
    switch (request.op) {
      case "list":
      case "status": {
        const { services, hint } = request;
        const listed: Served<SpatService> = services === undefined
          ? await this.#list(signal)
          : await this.#each(
            { services, hint },
            (name) => this.#query(name, signal),
          );
        const answer = sorted(listed);
        return request.op === "list"
          ? { ...answer.rest, services: answer.values.map(toStatus) }
          : { ...answer.rest, details: answer.values.map(toDetail) };
      }
      case "info":
        return { ok: true, info: await this.#info(signal) };
      case "up":
      case "down":
      case "restart": {
        const command = TAG[request.op];
        const wantUp = request.op !== "down";
        const wait = request.wait;
        const emit = request.verbose ? onEvent : undefined;
        return results(
          await this.#each(
            request,
            (name) => this.#change(command, name, wantUp, wait, emit, signal),
          ),
        );
      }
      case "wait": {
        const emit = request.verbose ? onEvent : undefined;
        return results(
          await this.#each(
            request,
            (name) => this.#await(name, request.wait, emit, signal),
          ),
        );
      }
      case "ready":
        return results(
          await this.#each(
            request,
            (name) =>
              this.#change(TAG.ready, name, true, undefined, undefined, signal),
          ),
        );
      case "signal": {
        const number = signalNumber(request.signal);
        return results(
          await this.#each(
            request,
            (name) => this.#signal(name, number, signal),
          ),
        );
      }
      case "pidof": {
        const answer = await this.#each(
          request,
          (name) => this.#query(name, signal),
        );
        const pids: Record<string, number | null> = {};
        for (const s of answer.values) pids[s.name] = s.pid || null;
        return { ...answer.rest, pids };
      }
      case "rescan":
      case "shutdown":
      case "reboot":
        await this.#simple(TAG[request.op], signal);
        return { ok: true };
      case "events":
        throw new NitroError("bad-request", "events has a method of its own");
    }
  }

  /**
   * Every state change as it happens. C nitro keeps no history, so
   * `replay` has nothing to replay; C nitro tells no pid (null) and no
   * time, so `time` is when this client received the change, in
   * milliseconds of its own monotonic clock.
   */
  async *events(opts: EventsOptions = {}): AsyncGenerator<ServiceEvent> {
    for await (const change of this.link.changes(opts.signal)) {
      yield event(change.name, change.state);
    }
  }

  /** Remove every reply socket still open; pending requests fail. */
  close(): void {
    this.link.close();
  }

  /** Every service argument, served one by one, all at once. */
  async #each<T>(
    request: { services: string[]; hint?: string },
    serve: (name: string) => Promise<Outcome<T>>,
  ): Promise<Served<T>> {
    const outcomes = await Promise.all(
      request.services.map((ref) => {
        const name = serviceName(ref, request.hint);
        return badName(ref, name) ??
          serve(name).then((o) =>
            o.ok
              ? o
              : { ok: false as const, error: { ...o.error, service: ref } }
          );
      }),
    );
    const values: T[] = [];
    const errors: ServiceError[] = [];
    for (const o of outcomes) {
      if (o.ok) values.push(o.value);
      else errors.push(o.error);
    }
    if (values.length === 0 && errors.length > 0) {
      const { code, message, service } = errors[0];
      throw new NitroError(code, message, { service });
    }
    return {
      values,
      rest: errors.length > 0 ? { ok: true, errors } : { ok: true },
    };
  }

  async #list(
    signal?: AbortSignal,
  ): Promise<Served<SpatService>> {
    const services = await this.link.call({
      command: TAG.list,
      settle: (r) => r.kind === "list" ? r.services : refusal(r),
    }, signal);
    return { values: services, rest: { ok: true } };
  }

  #query(name: string, signal?: AbortSignal): Promise<Outcome<SpatService>> {
    return this.link.call({
      command: TAG.query,
      service: name,
      settle: (r): Outcome<SpatService> | undefined =>
        r.kind === "query"
          ? { ok: true, value: { name, ...r.service } }
          : missing(r, name),
    }, signal);
  }

  async #info(signal?: AbortSignal): Promise<DaemonInfo> {
    const values = await this.link.call({
      command: TAG.info,
      settle: (r) => r.kind === "info" ? new Map(r.values) : refusal(r),
    }, signal);
    const get = (tag: number) => values.get(tag) ?? 0;
    return {
      pid: get(TAG.nitroPid),
      protocol: null,
      version: null,
      services: get(TAG.maxService),
      reaps: get(TAG.totalReaps),
      svReaps: get(TAG.totalSvReaps),
      fds: null,
      rss: null,
      boot: null,
      uptime: null,
      dir: null,
      pid1: get(TAG.nitroPid) === 1,
    };
  }

  /**
   * Ask for a state change (or readiness) and, with `wait`, follow the
   * service's notifications until the wait is judged. C nitro notifies the
   * service's new state before it acknowledges, so the acknowledgement
   * finds the state known.
   */
  #change(
    command: CommandTag,
    name: string,
    wantUp: boolean,
    wait: WaitTarget | undefined,
    onEvent: ((e: ServiceEvent) => void) | undefined,
    signal?: AbortSignal,
  ): Promise<Outcome<ServiceResult>> {
    let state: State | undefined;
    let acknowledged = false;
    return this.link.call({
      command,
      service: name,
      settle: (r): Outcome<ServiceResult> | undefined => {
        if (r.kind === "state") {
          state = r.state;
          onEvent?.(event(name, r.state));
        } else if (r.kind === "ok") acknowledged = true;
        else return missing(r, name);
        if (!acknowledged || state === undefined) {
          return undefined;
        }
        if (wait === undefined) return result(name, state, true);
        const verdict = judge(state, wantUp, wait);
        return verdict === "pending"
          ? undefined
          : result(name, state, verdict === "ok");
      },
    }, signal);
  }

  /** Wait without asking anything: the current state, then its changes. */
  #await(
    name: string,
    wait: WaitTarget,
    onEvent: ((e: ServiceEvent) => void) | undefined,
    signal?: AbortSignal,
  ): Promise<Outcome<ServiceResult>> {
    return this.link.call({
      command: TAG.query,
      service: name,
      settle: (r): Outcome<ServiceResult> | undefined => {
        let state: State;
        if (r.kind === "query") state = r.service.state;
        else if (r.kind === "state") state = r.state;
        else return missing(r, name);
        onEvent?.(event(name, state));
        const verdict = judge(state, true, wait);
        return verdict === "pending"
          ? undefined
          : result(name, state, verdict === "ok");
      },
    }, signal);
  }

  /**
   * Signal a service. C nitro answers "no such service" also when the
   * service has no process; a query tells the two apart, and gives the
   * state the result carries.
   */
  async #signal(
    name: string,
    number: number,
    signal?: AbortSignal,
  ): Promise<Outcome<ServiceResult>> {
    const sent = await this.link.call({
      command: TAG.signal,
      service: name,
      signal: number,
      settle: (r) =>
        r.kind === "ok"
          ? true
          : r.kind === "no-such-service"
          ? false
          : r.kind === "not-implemented"
          ? refusal(r)
          : undefined,
    }, signal);
    const now = await this.#query(name, signal);
    if (!now.ok) return now;
    return result(name, now.value.state, sent);
  }

  async #simple(command: CommandTag, signal?: AbortSignal): Promise<void> {
    await this.link.call({
      command,
      settle: (r) => r.kind === "ok" ? true : refusal(r),
    }, signal);
  }
}

/** The name C nitro knows a service argument by. */
function serviceName(ref: string, hint: string | undefined): string {
  if (!ref.startsWith("/")) return ref;
  const base = ref.slice(ref.replace(/\/+$/, "").lastIndexOf("/") + 1)
    .replace(/\/+$/, "");
  // A template's directory stands for the instance the hint names.
  if (hint !== undefined && base.endsWith("@") && hint.startsWith(base)) {
    return hint;
  }
  return base;
}

/** A name C nitro would not take, as a service error. */
function badName(ref: string, name: string): Outcome<never> | undefined {
  const problem = name === ""
    ? "empty name"
    : new TextEncoder().encode(name).length > MAX_NAME_BYTES
    ? `name longer than ${MAX_NAME_BYTES} bytes`
    : undefined;
  if (problem === undefined) return undefined;
  return {
    ok: false,
    error: { service: ref, code: "bad-name", message: problem },
  };
}

/** A reply that is not an answer: a refusal throws, anything else waits. */
function refusal(r: Reply): undefined {
  if (r.kind === "not-implemented") {
    throw new NitroError("unknown-op", "command not implemented in C nitro");
  }
  if (r.kind === "no-such-service") {
    throw new NitroError("no-such-service", "no such service");
  }
  return undefined;
}

/** "no such service" for one service; a refusal throws; else wait. */
function missing(r: Reply, name: string): Outcome<never> | undefined {
  if (r.kind === "no-such-service") {
    return {
      ok: false,
      error: {
        service: name,
        code: "no-such-service",
        message: "no such service",
      },
    };
  }
  return refusal(r);
}

function result(
  name: string,
  state: State,
  ok: boolean,
): Outcome<ServiceResult> {
  return { ok: true, value: { name, state, ok } };
}

function results(
  answer: {
    values: ServiceResult[];
    rest: { ok: true; errors?: ServiceError[] };
  },
): OkResponse {
  return { ...answer.rest, results: answer.values };
}

function sorted(answer: Served<SpatService>): Served<SpatService> {
  answer.values.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return answer;
}

function event(name: string, state: State): ServiceEvent {
  // C nitro tells only what it announces.
  return {
    name,
    state,
    notice: state,
    pid: null,
    time: Math.round(performance.now()),
  };
}

/** A listed service as the JSON protocol lists it. */
function toStatus(s: SpatService): ServiceStatus {
  return {
    name: s.name,
    state: s.state,
    pid: s.pid || null,
    wstatus: s.wstatus,
    seconds: s.uptime,
  };
}

/**
 * A listed service with what C nitro tells of the rest: how long `run` has
 * been up while it is, and the last exit when one left a trace (a wait
 * status of 0 may be an exit 0 or no exit yet: unknown). Restarts,
 * logger, readiness and the FATAL reason are not told.
 */
function toDetail(s: SpatService): ServiceDetail {
  const running = s.state === "STARTING" || s.state === "UP";
  return {
    ...toStatus(s),
    uptime: running ? s.uptime : null,
    restarts: null,
    lastExit: s.wstatus > 0 ? describeExit(s.wstatus) : null,
    logger: null,
    readiness: null,
    reason: null,
  };
}
