/**
 * The control protocol spoken over nitro's Unix socket, defined once: a
 * map from each op to the fields of its request ({@link RequestFields}) and
 * of its answer ({@link ResponseFields}), and one schema per message
 * (src/schema.ts) that the compiler holds to its type, field by field, so
 * that the check at run time cannot drift from the type.
 *
 * Newline-delimited JSON: the client writes one request per line, the daemon
 * answers each with exactly one final response line. Requests that wait or
 * follow (`wait`, `events`) may first stream {@link EventLine}s for that
 * request. Every line the daemon writes carries the request's `id` when the
 * request had one. Unknown request fields are ignored, so clients may send
 * fields a future daemon understands. A request naming several services
 * is served for those that resolve; the others are listed in `errors`.
 *
 * {@link parseRequest} (the daemon's side) and {@link parseServerLine} (a
 * client's side) check lines against the schemas. Framing (lines, their
 * limit, UTF-8) is in `framing.ts`.
 *
 * @example Talking to nitro with socat
 * ```sh
 * echo '{"id":1,"op":"list"}' | socat - UNIX-CONNECT:$NITRO_SOCK
 * # {"id":1,"ok":true,"services":[{"name":"web","state":"UP","pid":42,...}]}
 * ```
 *
 * @module
 */

import { nameProblem } from "./config/names.ts";
import {
  array,
  boolean,
  described,
  either,
  isObject,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  partial,
  record,
  type Schema,
  type ShapeOf,
  string,
} from "./schema.ts";

/** Version of this protocol, reported by `info`. Bumped on incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Longest request line the daemon accepts, in bytes (newline excluded). */
export const MAX_REQUEST_BYTES = 4096;

/** The nine service states of the nitro model. */
export const STATES = [
  "DOWN",
  "SETUP",
  "STARTING",
  "UP",
  "ONESHOT",
  "SHUTDOWN",
  "RESTART",
  "FATAL",
  "DELAY",
] as const;

/** One of the nine service states. */
export type State = typeof STATES[number];

/** Signals a client may ask nitro to deliver to a service. */
export const SIGNALS = [
  "SIGSTOP",
  "SIGCONT",
  "SIGHUP",
  "SIGALRM",
  "SIGINT",
  "SIGQUIT",
  "SIGTERM",
  "SIGKILL",
  "SIGUSR1",
  "SIGUSR2",
] as const;

/** A signal name from {@link SIGNALS}. */
export type SignalName = typeof SIGNALS[number];

/** What a waiting request waits for. */
export type WaitTarget =
  /** UP or ONESHOT (fails on FATAL). */
  | "up"
  /** DOWN or FATAL. */
  | "down"
  /** STARTING, UP or ONESHOT (fails on FATAL). */
  | "starting"
  /** SHUTDOWN or DOWN or FATAL: being brought down. */
  | "shutdown"
  /** RESTART (or anything after it). */
  | "restart";

/** Every {@link WaitTarget} (the compiler checks that none is missing). */
export const WAIT_TARGETS: readonly WaitTarget[] = Object.keys(
  {
    "up": true,
    "down": true,
    "starting": true,
    "shutdown": true,
    "restart": true,
  } satisfies Record<WaitTarget, true>,
) as WaitTarget[];

/** Error codes carried by failed responses. */
export type ErrorCode =
  /** A service name matched nothing (and could not be created). */
  | "no-such-service"
  /** A service name is invalid or too long. */
  | "bad-name"
  /** The line was not valid JSON or lacked required fields. */
  | "bad-request"
  /** The `op` is not known to this daemon. */
  | "unknown-op"
  /** The request line exceeded {@link MAX_REQUEST_BYTES}. */
  | "too-long"
  /** The daemon is shutting down and refuses the request. */
  | "shutting-down"
  /** A bug in the daemon; it logged the details on its stderr. */
  | "internal"
  /** Too many clients: the daemon turned this connection away. */
  | "busy";

/** Every {@link ErrorCode} this daemon sends (checked complete by the compiler). */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(
  {
    "no-such-service": true,
    "bad-name": true,
    "bad-request": true,
    "unknown-op": true,
    "too-long": true,
    "shutting-down": true,
    "internal": true,
    "busy": true,
  } satisfies Record<ErrorCode, true>,
) as ErrorCode[];

/**
 * A service argument. Either a service name (`web`, `agetty@tty1`) or an
 * absolute path of a service directory (`/etc/nitro/web`), which the daemon
 * maps to the service whose directory that is. For template instances, whose
 * directory is the template's, `hint` names the instance (nitroctl passes
 * `$NITRO_SERVICE`, which nitro sets for every script it runs).
 */
export type ServiceRef = string;

// --- Requests ------------------------------------------------------------------

/** Requests that may name services (all when they name none). */
interface SomeServices {
  /** The services asked about; all when absent. */
  services?: ServiceRef[];
  /** Which instance a path means (see {@link ServiceRef}). */
  hint?: string;
}

/** Requests that name the services they act on. */
interface NamedServices {
  /** The services acted on. */
  services: ServiceRef[];
  /** Which instance a path means (see {@link ServiceRef}). */
  hint?: string;
}

/**
 * Ask for a state. With `wait`, the final response is sent once every
 * service reached the target (or failed). With `verbose`, every state
 * change of those services is streamed. `up` and `restart` create
 * `NAME@PARAM` instances of existing templates.
 */
interface Change extends NamedServices {
  wait?: WaitTarget;
  verbose?: boolean;
}

/** The fields of each op's request, besides `op` and `id`. */
export interface RequestFields {
  /** List services (all, or the named ones), sorted by name. */
  list: SomeServices;
  /**
   * Details of services (all, or the named ones), sorted by name: how long
   * up, restarts, last exit, logger, readiness, why FATAL.
   */
  status: SomeServices;
  /** Facts about the daemon itself. */
  info: Record<never, never>;
  /** Ask for services to be up. */
  up: Change;
  /** Ask for services to be down. */
  down: Change;
  /** Restart services. */
  restart: Change;
  /** Wait, without changing anything, for each service to reach `wait`. */
  wait: NamedServices & { wait: WaitTarget; verbose?: boolean };
  /** Mark STARTING services UP (readiness by hand, `notification-fd` 0). */
  ready: NamedServices;
  /** Deliver a signal to each service's current process. */
  signal: NamedServices & { signal: SignalName };
  /** The pid of each service (null where it has none). */
  pidof: NamedServices;
  /** Re-read the service directory. */
  rescan: Record<never, never>;
  /**
   * Stream every state change as {@link EventLine}s until the client
   * disconnects. With `replay`, the retained history comes first.
   */
  events: { replay?: boolean };
  /** Bring the system down. */
  shutdown: Record<never, never>;
  /** Bring the system down and up again. */
  reboot: Record<never, never>;
}

/** Operation names. */
export type Op = keyof RequestFields;

/** The request of one op. */
export type RequestOf<O extends Op> = O extends Op ?
    & {
      op: O;
      /** Echoed in every line answering this request. */
      id?: string | number;
    }
    & RequestFields[O]
  : never;

/** All requests, discriminated by `op`. */
export type Request = RequestOf<Op>;

/** The `id` a request may carry, echoed in every line answering it. */
const requestId = described(
  either(string, number),
  "id must be a string or a number",
);

const someServices: ShapeOf<SomeServices> = {
  services: optional(
    described(array(string), "services must be a list of names"),
  ),
  hint: optional(described(string, "hint must be a string")),
};
const namedServices: ShapeOf<NamedServices> = {
  services: described(array(string), "services must be a list of names"),
  hint: someServices.hint,
};
const waitTarget = described(
  oneOf(WAIT_TARGETS, "a wait target"),
  `wait must be one of ${WAIT_TARGETS.join(", ")}`,
);
const verbose = optional(described(boolean, "verbose must be a boolean"));
const change: ShapeOf<Change> = {
  ...namedServices,
  wait: optional(waitTarget),
  verbose,
};

/** The schema of each op's request fields (the compiler checks each). */
const REQUESTS: { [O in Op]: Schema<RequestFields[O]> } = {
  list: object(someServices),
  status: object(someServices),
  info: object({}),
  up: object(change),
  down: object(change),
  restart: object(change),
  wait: object<RequestFields["wait"]>({
    ...namedServices,
    wait: waitTarget,
    verbose,
  }),
  ready: object(namedServices),
  signal: object<RequestFields["signal"]>({
    ...namedServices,
    signal: described(
      oneOf(SIGNALS, "a signal"),
      (v) => `unknown signal ${JSON.stringify(v)}`,
    ),
  }),
  pidof: object(namedServices),
  rescan: object({}),
  events: object<RequestFields["events"]>({
    replay: optional(described(boolean, "replay must be a boolean")),
  }),
  shutdown: object({}),
  reboot: object({}),
};

/** Every {@link Op}. */
export const OPS: readonly Op[] = Object.keys(REQUESTS) as Op[];

// --- Answers -------------------------------------------------------------------

/** One service, as `list` reports it. */
export interface ServiceStatus {
  /** The service's name (`web`, `agetty@tty1`). */
  name: string;
  /** Its state now. */
  state: State;
  /** Pid of the service's current process (setup, run or finish), if any. */
  pid: number | null;
  /** Raw wait status of the last exit of `run` (0 before the first exit). */
  wstatus: number;
  /** Whole seconds since the last state change. */
  seconds: number;
}

/** One service, as `status` reports it: its listing plus the reasons. */
export interface ServiceDetail extends ServiceStatus {
  /** Whole seconds since the current `run` started (STARTING/UP), else null. */
  uptime: number | null;
  /**
   * Automatic restarts since nitro started (the first start not counted);
   * null where the daemon does not count them (C nitro).
   */
  restarts: number | null;
  /** The last exit of `run` for people ("exited 3", "killed by SIGTERM"). */
  lastExit: string | null;
  /** The service its stdout goes to; null: nitro's own stdout. */
  logger: string | null;
  /**
   * How it tells it is ready: `"timer"` (no `notification-fd`), `"manual"`
   * (`notification-fd` 0 or invalid: `nitroctl ready`), or the fd number;
   * null for a one-shot (no `run`), and where the daemon does not say (C
   * nitro).
   */
  readiness: "timer" | "manual" | number | null;
  /** Why it is FATAL ("run is not executable", ...); null otherwise. */
  reason: string | null;
}

/**
 * A state change, or an announcement. C nitro announces states to its
 * listeners at chosen points, not at every change (silent on entering
 * DELAY, say; twice STARTING for `up`): `notice` is the state it announces
 * there, null where it is silent. An announcement that changes nothing
 * (the state a request left a service in) has `state` unchanged.
 */
export interface ServiceEvent {
  /** The service that changed. */
  name: string;
  /** The state it entered (or is in, for an announcement alone). */
  state: State;
  /**
   * The state C nitro announces here; null: it is silent. This nitro
   * always says; absent (another daemon) counts as announced, `state`.
   */
  notice?: State | null;
  /** Pid of its process at that moment, if any. */
  pid: number | null;
  /** Monotonic time of the change, in milliseconds since nitro started. */
  time: number;
}

/**
 * Facts about the daemon, answered by `info`. C nitro tells only its pid,
 * services and reaps: the other fields are null when it answers.
 */
export interface DaemonInfo {
  /** nitro's own pid. */
  pid: number;
  /** {@link PROTOCOL_VERSION} of the daemon. */
  protocol: number | null;
  /** The daemon's version. */
  version: string | null;
  /** Number of services (including instances). */
  services: number;
  /** Number of processes nitro has reaped. */
  reaps: number;
  /** Number of service processes (setup, run, finish) nitro has reaped. */
  svReaps: number;
  /** Open file descriptors of nitro (entries of /proc/self/fd). */
  fds: number | null;
  /** Resident memory of nitro, in bytes. */
  rss: number | null;
  /** When the current boot began: monotonic ms, the clock of event `time`. */
  boot: number | null;
  /** Milliseconds since the daemon started (monotonic). */
  uptime: number | null;
  /** The service directory. */
  dir: string | null;
  /** Whether nitro runs as pid 1. */
  pid1: boolean | null;
}

/** Result for one service of a request that acts on services. */
export interface ServiceResult {
  /** The service. */
  name: string;
  /** State when the request finished. */
  state: State;
  /**
   * False when a wait ended in FATAL instead of the target, or when a
   * `signal` found no process to signal.
   */
  ok: boolean;
}

/** A service argument that failed while the others were served. */
export interface ServiceError {
  /** The argument as the request gave it. */
  service: string;
  /** Why it failed. */
  code: ErrorCode;
  /** The reason, for people. */
  message: string;
}

/** Answers that may serve some service arguments and not others. */
interface Partly {
  /**
   * Service arguments that could not be served while others were (unknown,
   * bad name), in the order given. Absent when every argument was served.
   */
  errors?: ServiceError[];
}

/** Per-service results. */
interface Acted extends Partly {
  results: ServiceResult[];
}

/** The fields of each op's successful answer, besides `ok` and `id`. */
export interface ResponseFields {
  list: Partly & { services: ServiceStatus[] };
  status: Partly & { details: ServiceDetail[] };
  info: { info: DaemonInfo };
  up: Acted;
  down: Acted;
  restart: Acted;
  wait: Acted;
  ready: Acted;
  signal: Acted;
  /** name -> pid or null. */
  pidof: Partly & { pids: Record<string, number | null> };
  rescan: Record<never, never>;
  events: Record<never, never>;
  shutdown: Record<never, never>;
  reboot: Record<never, never>;
}

/** The successful final response to a request of op `O`. */
export type OkResponse<O extends Op = Op> = O extends Op ?
    & {
      /** The request's `id`, if it had one. */
      id?: string | number;
      /** Always true: the request succeeded. */
      ok: true;
    }
    & ResponseFields[O]
  : never;

/** Every field of some op's answer. */
type AnyFields = (
  ResponseFields[Op] extends infer F
    ? (F extends unknown ? (fields: F) => void : never)
    : never
) extends (fields: infer I) => void ? { [K in keyof I]: I[K] }
  : never;

/** A successful final response of some op, read without knowing which. */
export type AnyOkResponse =
  & { id?: string | number; ok: true }
  & Partial<AnyFields>;

/** A failed request. */
export interface ErrorResponse {
  /** The request's `id`, if it had one. */
  id?: string | number;
  /** Always false: the request failed. */
  ok: false;
  /** What went wrong, and with which service argument, if one. */
  error: { code: ErrorCode; message: string; service?: string };
}

/** A final response line. */
export type Response = OkResponse | ErrorResponse;

/** A streamed line of an `events` or verbose waiting request. */
export interface EventLine {
  /** The `id` of the request this line belongs to, if it had one. */
  id?: string | number;
  /** The state change. */
  event: ServiceEvent;
}

/** Any line the daemon writes. */
export type ServerLine = Response | EventLine;

const state = oneOf(STATES, "a state");
const pid = nullable(number);

const statusFields: ShapeOf<ServiceStatus> = {
  name: string,
  state,
  pid,
  wstatus: number,
  seconds: number,
};

const serviceDetail = object<ServiceDetail>({
  ...statusFields,
  uptime: nullable(number),
  restarts: nullable(number),
  lastExit: nullable(string),
  logger: nullable(string),
  readiness: nullable(
    either(oneOf(["timer", "manual"], "a readiness"), number),
  ),
  reason: nullable(string),
});

const serviceEvent = object<ServiceEvent>({
  name: string,
  state,
  notice: optional(nullable(state)),
  pid,
  time: number,
});

const daemonInfo = object<DaemonInfo>({
  pid: number,
  protocol: nullable(number),
  version: nullable(string),
  services: number,
  reaps: number,
  svReaps: number,
  fds: nullable(number),
  rss: nullable(number),
  boot: nullable(number),
  uptime: nullable(number),
  dir: nullable(string),
  pid1: nullable(boolean),
});

/**
 * An error code as a client reads it: a code it does not know (from a newer
 * daemon) is kept as it is, typed as the codes this one sends.
 */
const errorCode = string as Schema<string> as Schema<ErrorCode>;

const partly: ShapeOf<Partly> = {
  errors: optional(array(object<ServiceError>({
    service: string,
    code: errorCode,
    message: string,
  }))),
};

const acted: ShapeOf<Acted> = {
  ...partly,
  results: array(object<ServiceResult>({ name: string, state, ok: boolean })),
};

/** The fields of each op's answer (the compiler checks each). */
const RESPONSES: { [O in Op]: ShapeOf<ResponseFields[O]> } = {
  list: { ...partly, services: array(object(statusFields)) },
  status: { ...partly, details: array(serviceDetail) },
  info: { info: daemonInfo },
  up: acted,
  down: acted,
  restart: acted,
  wait: acted,
  ready: acted,
  signal: acted,
  pidof: { ...partly, pids: record(pid) },
  rescan: {},
  events: {},
  shutdown: {},
  reboot: {},
};

const responseSchemas = Object.fromEntries(
  OPS.map((op) => [op, object(RESPONSES[op] as ShapeOf<unknown>)]),
) as { [O in Op]: Schema<ResponseFields[O]> };

/** Every field any op's answer has, each checked when present. */
const anyOk: Schema<Partial<AnyFields>> = object(
  partial(Object.assign({}, ...Object.values(RESPONSES)) as ShapeOf<AnyFields>),
);

const errorResponse = object<ErrorResponse>({
  id: optional(requestId),
  ok: literal(false),
  error: object<ErrorResponse["error"]>({
    code: errorCode,
    message: string,
    service: optional(string),
  }),
});

const eventLine = object<EventLine>({
  id: optional(requestId),
  event: serviceEvent,
});

// --- Reading lines ---------------------------------------------------------------

/** Outcome of {@link parseRequest}. */
export type ParsedRequest =
  | {
    ok: true;
    /** The request, with only the service arguments that passed. */
    request: Request;
    /** Service arguments refused as bad names, in the order given. */
    rejected: ServiceError[];
  }
  | {
    ok: false;
    /** The answer to send: the whole request is refused. */
    response: ErrorResponse;
  };

/** Options of {@link parseRequest}. */
export interface ParseOptions {
  /**
   * The line was not valid UTF-8 and was decoded with U+FFFD replacements:
   * a service argument holding U+FFFD is then refused as `bad-name`.
   */
  lossy?: boolean;
}

/**
 * Validate one request line (without its newline) as the daemon does:
 * a JSON object, a known `op`, the fields that op needs with the right
 * types ({@link REQUESTS}), and service arguments that are valid names
 * (control characters, DEL and invalid UTF-8 refused) or absolute paths.
 * Unknown fields are dropped. A bad service argument does not refuse the
 * request while another one is good: it is listed in `rejected` instead
 * (partial failure).
 *
 * @example
 * ```ts
 * import { parseRequest } from "./protocol.ts";
 * const parsed = parseRequest('{"id":1,"op":"up","services":["web","a\\u001b"]}');
 * console.assert(parsed.ok && parsed.rejected[0].code === "bad-name");
 * ```
 */
export function parseRequest(
  line: string,
  opts: ParseOptions = {},
): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (!isObject(value)) {
    return refuse({
      code: "bad-request",
      message: "request is not a JSON object",
    });
  }
  const checkedId = optional(requestId).check(value.id);
  if (!checkedId.ok) {
    return refuse({ code: "bad-request", message: checkedId.failure.message });
  }
  const id = checkedId.value;
  const fail = (error: ErrorResponse["error"]) => refuse(error, id);
  const op = value.op;
  if (op === undefined) {
    return fail({ code: "bad-request", message: 'request lacks "op"' });
  }
  if (typeof op !== "string") {
    return fail({ code: "bad-request", message: '"op" must be a string' });
  }
  if (!Object.hasOwn(REQUESTS, op)) {
    return fail({
      code: "unknown-op",
      message: `unknown op ${JSON.stringify(op)}`,
    });
  }
  const fields = REQUESTS[op as Op].parse(value);
  if (!fields.ok) return fail({ code: "bad-request", message: fields.problem });
  const request: { op: string; services?: string[] } = {
    op,
    ...(id === undefined ? {} : { id }),
    ...fields.value,
  };
  const rejected: ServiceError[] = [];
  if (request.services !== undefined) {
    const good: string[] = [];
    for (const ref of request.services) {
      const problem = refProblem(ref, opts);
      if (problem === null) good.push(ref);
      else rejected.push({ service: ref, code: "bad-name", message: problem });
    }
    if (good.length === 0 && rejected.length > 0) return fail(rejected[0]);
    request.services = good;
  }
  // `op` picked the schema that checked the fields.
  return { ok: true, request: request as Request, rejected };
}

/** Why a service argument is refused, or null when it may be resolved. */
function refProblem(ref: string, { lossy }: ParseOptions): string | null {
  if (lossy && ref.includes("\uFFFD")) return "name is not valid UTF-8";
  if (ref.startsWith("/")) {
    return ref.includes("\0") ? "path contains a NUL byte" : null;
  }
  return nameProblem(ref);
}

/** A refusal of the whole request, echoing its `id` when it had one. */
function refuse(
  error: { code: ErrorCode; message: string; service?: string },
  id?: string | number,
): ParsedRequest {
  const { code, message, service } = error;
  const response: ErrorResponse = {
    ok: false,
    error: service === undefined
      ? { code, message }
      : { code, message, service },
  };
  if (id !== undefined) response.id = id;
  return { ok: false, response };
}

/** Outcome of {@link parseServerLine} and {@link checkResponse}. */
export type ParsedServerLine<
  L = AnyOkResponse | ErrorResponse | EventLine,
> =
  | { ok: true; line: L }
  | { ok: false; problem: string };

/**
 * Validate one line the daemon wrote (without its newline): an
 * {@link EventLine}, an {@link ErrorResponse}, or a successful answer of
 * some op, each field any op's answer has checked when present (see
 * {@link checkResponse} for the answer to a known op). Unknown fields are
 * dropped, and an error `code` this client does not know is kept as it is,
 * so a newer daemon's answers still read.
 *
 * @example
 * ```ts
 * import { parseServerLine } from "./protocol.ts";
 * const parsed = parseServerLine('{"id":1,"ok":true,"pids":{"web":42}}');
 * console.assert(parsed.ok);
 * console.assert(!parseServerLine('{"ok":true,"pids":[1]}').ok);
 * ```
 */
export function parseServerLine(line: string): ParsedServerLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  if (!isObject(value)) return { ok: false, problem: "not a JSON object" };
  const checkedId = optional(either(string, number)).check(value.id);
  if (!checkedId.ok) {
    return { ok: false, problem: "id: not a string or a number" };
  }
  const id = checkedId.value === undefined ? {} : { id: checkedId.value };
  if (value.ok === true && !("event" in value)) {
    const fields = anyOk.parse(value);
    if (!fields.ok) return fields;
    const line: AnyOkResponse = { ...id, ok: true, ...fields.value };
    return { ok: true, line };
  }
  const parsed = "event" in value
    ? eventLine.parse(value)
    : value.ok === false
    ? errorResponse.parse(value)
    : null;
  if (parsed === null) {
    return { ok: false, problem: 'neither an event nor an answer ("ok")' };
  }
  return parsed.ok ? { ok: true, line: parsed.value } : parsed;
}

/**
 * A successful answer read by {@link parseServerLine}, checked as the
 * answer to a request of op `op`: the fields that op's answer must have.
 *
 * @example
 * ```ts
 * import { checkResponse } from "./protocol.ts";
 * console.assert(checkResponse("pidof", { ok: true, pids: { web: 42 } }).ok);
 * console.assert(!checkResponse("pidof", { ok: true }).ok);
 * ```
 */
export function checkResponse<O extends Op>(
  op: O,
  response: AnyOkResponse,
): ParsedServerLine<OkResponse<O>> {
  const fields = responseSchemas[op].parse(response);
  if (!fields.ok) return fields;
  const id = response.id === undefined ? {} : { id: response.id };
  // The schema of `op` checked the fields.
  return {
    ok: true,
    line: { ...id, ok: true, ...fields.value } as OkResponse<O>,
  };
}
