/**
 * The control protocol spoken over nitro's Unix socket.
 *
 * Newline-delimited JSON: the client writes one request per line, the daemon
 * answers each with exactly one final response line. Requests that wait or
 * follow (`wait`, `events`) may first stream {@link EventLine}s for that
 * request. Every line the daemon writes carries the request's `id` when the
 * request had one. Unknown request fields are ignored, so clients may send
 * fields a future daemon understands. A request naming several services
 * is served for those that resolve; the others are listed in `errors`.
 *
 * The types are the protocol; {@link parseRequest} (the daemon's side) and
 * {@link parseServerLine} (a client's side) check lines against them at run
 * time. Framing (lines, their limit, UTF-8) is in `framing.ts`.
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

/**
 * Every {@link WaitTarget}, for validating requests at run time (the
 * compiler checks that none is missing).
 */
export const WAIT_TARGETS: readonly WaitTarget[] = Object.keys(
  {
    "up": true,
    "down": true,
    "starting": true,
    "shutdown": true,
    "restart": true,
  } satisfies Record<WaitTarget, true>,
) as WaitTarget[];

/**
 * A service argument. Either a service name (`web`, `agetty@tty1`) or an
 * absolute path of a service directory (`/etc/nitro/web`), which the daemon
 * maps to the service whose directory that is. For template instances, whose
 * directory is the template's, `hint` names the instance (nitroctl passes
 * `$NITRO_SERVICE`, which nitro sets for every script it runs).
 */
export type ServiceRef = string;

/** Fields every request may carry. */
export interface RequestBase {
  /** Echoed in every line answering this request. */
  id?: string | number;
}

/** All requests, discriminated by `op`. */
export type Request =
  | RequestBase & {
    /** List services (all, or the named ones), sorted by name. */
    op: "list";
    services?: ServiceRef[];
    hint?: string;
  }
  | RequestBase & {
    /**
     * Details of services (all, or the named ones), sorted by name: how
     * long up, restarts, last exit, logger, readiness, why FATAL.
     */
    op: "status";
    services?: ServiceRef[];
    hint?: string;
  }
  | RequestBase & {
    /** Facts about the daemon itself. */
    op: "info";
  }
  | RequestBase & {
    /**
     * Ask for a state: `up`, `down` or `restart`. With `wait`, the final
     * response is sent once every service reached the target (or failed).
     * With `verbose`, every state change of those services is streamed.
     * `up` and `restart` create `NAME@PARAM` instances of existing templates.
     */
    op: "up" | "down" | "restart";
    services: ServiceRef[];
    hint?: string;
    wait?: WaitTarget;
    verbose?: boolean;
  }
  | RequestBase & {
    /** Wait, without changing anything, for each service to reach `wait`. */
    op: "wait";
    services: ServiceRef[];
    hint?: string;
    wait: WaitTarget;
    verbose?: boolean;
  }
  | RequestBase & {
    /** Mark STARTING services UP (readiness by hand, `notification-fd` 0). */
    op: "ready";
    services: ServiceRef[];
    hint?: string;
  }
  | RequestBase & {
    /** Deliver a signal to each service's current process. */
    op: "signal";
    services: ServiceRef[];
    hint?: string;
    signal: SignalName;
  }
  | RequestBase & {
    /** The pid of each service (null where it has none). */
    op: "pidof";
    services: ServiceRef[];
    hint?: string;
  }
  | RequestBase & {
    /** Re-read the service directory. */
    op: "rescan";
  }
  | RequestBase & {
    /**
     * Stream every state change as {@link EventLine}s until the client
     * disconnects. With `replay`, the retained history comes first.
     */
    op: "events";
    replay?: boolean;
  }
  | RequestBase & {
    /** Bring the system down (`Shutdown`) or down and up again (`Reboot`). */
    op: "shutdown" | "reboot";
  };

/** Operation names. */
export type Op = Request["op"];

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
   * null where the daemon does not say (C nitro).
   */
  readiness: "timer" | "manual" | number | null;
  /** Why it is FATAL ("run is not executable", ...); null otherwise. */
  reason: string | null;
}

/** A state change. */
export interface ServiceEvent {
  /** The service that changed. */
  name: string;
  /** The state it entered. */
  state: State;
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

/** Result for one service of an `up`/`down`/`restart`/`wait`/`ready` request. */
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

/** A service argument that failed while the others were served. */
export interface ServiceError {
  /** The argument as the request gave it. */
  service: string;
  /** Why it failed. */
  code: ErrorCode;
  /** The reason, for people. */
  message: string;
}

/** A failed request. */
export interface ErrorResponse {
  /** The request's `id`, if it had one. */
  id?: string | number;
  /** Always false: the request failed. */
  ok: false;
  /** What went wrong, and with which service argument, if one. */
  error: { code: ErrorCode; message: string; service?: string };
}

/** A successful final response; which fields are present depends on `op`. */
export interface OkResponse {
  /** The request's `id`, if it had one. */
  id?: string | number;
  /** Always true: the request succeeded. */
  ok: true;
  /** `list`. */
  services?: ServiceStatus[];
  /** `status`. */
  details?: ServiceDetail[];
  /** `info`. */
  info?: DaemonInfo;
  /** `up`/`down`/`restart`/`wait`/`ready`/`signal`. */
  results?: ServiceResult[];
  /** `pidof`: name -> pid or null. */
  pids?: Record<string, number | null>;
  /**
   * Service arguments that could not be served while others were (unknown,
   * bad name), in the order given. Absent when every argument was served.
   */
  errors?: ServiceError[];
}

/** A final response line. */
export type Response = OkResponse | ErrorResponse;

/** A streamed line of a `events` or verbose waiting request. */
export interface EventLine {
  /** The `id` of the request this line belongs to, if it had one. */
  id?: string | number;
  /** The state change. */
  event: ServiceEvent;
}

/** Any line the daemon writes. */
export type ServerLine = Response | EventLine;

// --- Validation at run time ---------------------------------------------------

/** Every {@link Op}, for validating requests at run time (checked complete). */
export const OPS: readonly Op[] = Object.keys(
  {
    "list": true,
    "status": true,
    "info": true,
    "up": true,
    "down": true,
    "restart": true,
    "wait": true,
    "ready": true,
    "signal": true,
    "pidof": true,
    "rescan": true,
    "events": true,
    "shutdown": true,
    "reboot": true,
  } satisfies Record<Op, true>,
) as Op[];

/** Ops whose `services` field is required. */
const NEEDS_SERVICES = new Set<Op>([
  "up",
  "down",
  "restart",
  "wait",
  "ready",
  "signal",
  "pidof",
]);

/** Ops that name services at all. */
const NAMES_SERVICES = new Set<Op>([...NEEDS_SERVICES, "list", "status"]);

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
 * types, and service arguments that are valid names (control characters,
 * DEL and invalid UTF-8 refused) or absolute paths. Unknown fields are
 * ignored. A bad service argument does not refuse the request while
 * another one is good: it is listed in `rejected` instead (partial failure).
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
    return refuse("bad-request", "request is not a JSON object");
  }
  const rawId = value.id;
  const idOk = rawId === undefined || typeof rawId === "string" ||
    (typeof rawId === "number" && Number.isFinite(rawId));
  const id = idOk ? rawId as string | number | undefined : undefined;
  const fail = (code: ErrorCode, message: string, service?: string) =>
    refuse(code, message, id, service);
  if (!idOk) return fail("bad-request", "id must be a string or a number");
  const op = value.op;
  if (op === undefined) return fail("bad-request", 'request lacks "op"');
  if (typeof op !== "string") {
    return fail("bad-request", '"op" must be a string');
  }
  if (!(OPS as readonly string[]).includes(op)) {
    return fail("unknown-op", `unknown op ${JSON.stringify(op)}`);
  }
  const fields: Record<string, unknown> = { op };
  if (id !== undefined) fields.id = id;
  const rejected: ServiceError[] = [];
  if (NAMES_SERVICES.has(op as Op)) {
    const services = value.services;
    if (services !== undefined || NEEDS_SERVICES.has(op as Op)) {
      if (
        !Array.isArray(services) || services.some((s) => typeof s !== "string")
      ) {
        return fail("bad-request", "services must be a list of names");
      }
      const good: string[] = [];
      for (const ref of services as string[]) {
        const problem = refProblem(ref, opts.lossy === true);
        if (problem === null) good.push(ref);
        else {rejected.push({
            service: ref,
            code: "bad-name",
            message: problem,
          });}
      }
      if (good.length === 0 && rejected.length > 0) {
        const first = rejected[0];
        return fail(first.code, first.message, first.service);
      }
      fields.services = good;
    }
    if (value.hint !== undefined) {
      if (typeof value.hint !== "string") {
        return fail("bad-request", "hint must be a string");
      }
      fields.hint = value.hint;
    }
  }
  if (op === "up" || op === "down" || op === "restart" || op === "wait") {
    const wait = value.wait;
    if (wait !== undefined || op === "wait") {
      if (!(WAIT_TARGETS as readonly unknown[]).includes(wait)) {
        return fail(
          "bad-request",
          `wait must be one of ${WAIT_TARGETS.join(", ")}`,
        );
      }
      fields.wait = wait;
    }
    const verbose = flag(value, "verbose");
    if (verbose === null) {
      return fail("bad-request", "verbose must be a boolean");
    }
    if (verbose) fields.verbose = true;
  }
  if (op === "signal") {
    if (!(SIGNALS as readonly unknown[]).includes(value.signal)) {
      return fail(
        "bad-request",
        `unknown signal ${JSON.stringify(value.signal)}`,
      );
    }
    fields.signal = value.signal;
  }
  if (op === "events") {
    const replay = flag(value, "replay");
    if (replay === null) return fail("bad-request", "replay must be a boolean");
    if (replay) fields.replay = true;
  }
  // Every field was checked above, op by op.
  return { ok: true, request: fields as unknown as Request, rejected };
}

/** Why a service argument is refused, or null when it may be resolved. */
function refProblem(ref: string, lossy: boolean): string | null {
  if (lossy && ref.includes("\uFFFD")) return "name is not valid UTF-8";
  if (ref.startsWith("/")) {
    return ref.includes("\0") ? "path contains a NUL byte" : null;
  }
  return nameProblem(ref);
}

/** A boolean field: its value, false when absent, null when not a boolean. */
function flag(value: Record<string, unknown>, key: string): boolean | null {
  const v = value[key];
  return v === undefined ? false : typeof v === "boolean" ? v : null;
}

function refuse(
  code: ErrorCode,
  message: string,
  id?: string | number,
  service?: string,
): ParsedRequest {
  const response: ErrorResponse = {
    ok: false,
    error: service === undefined
      ? { code, message }
      : { code, message, service },
  };
  if (id !== undefined) response.id = id;
  return { ok: false, response };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Outcome of {@link parseServerLine}. */
export type ParsedServerLine =
  | { ok: true; line: ServerLine }
  | { ok: false; problem: string };

/**
 * Validate one line the daemon wrote (without its newline): an
 * {@link EventLine} or a {@link Response} whose fields have the documented
 * types. Unknown fields are ignored, and an error `code` this client does
 * not know is kept as it is, so a newer daemon's answers still read.
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
  const problem = serverLineProblem(value);
  return problem === null
    ? { ok: true, line: value as ServerLine }
    : { ok: false, problem };
}

/** A field check: null when fine, else what is wrong. */
type Check = (value: unknown) => string | null;

const isString: Check = (v) => typeof v === "string" ? null : "not a string";
const isNumber: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) ? null : "not a number";
const isBoolean: Check = (v) => typeof v === "boolean" ? null : "not a boolean";
const isState: Check = (v) =>
  (STATES as readonly unknown[]).includes(v) ? null : "not a state";
const orNull = (check: Check): Check => (v) => v === null ? null : check(v);
const isPid = orNull(isNumber);

function shape(fields: Record<string, Check>): Check {
  return (v) => {
    if (!isObject(v)) return "not an object";
    for (const [key, check] of Object.entries(fields)) {
      const problem = check(v[key]);
      if (problem !== null) return `${key}: ${problem}`;
    }
    return null;
  };
}

function listOf(check: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return "not a list";
    for (const [i, item] of v.entries()) {
      const problem = check(item);
      if (problem !== null) return `[${i}] ${problem}`;
    }
    return null;
  };
}

const STATUS_FIELDS = {
  name: isString,
  state: isState,
  pid: isPid,
  wstatus: isNumber,
  seconds: isNumber,
};

const isEvent = shape({
  name: isString,
  state: isState,
  pid: isPid,
  time: isNumber,
});

const isReadiness: Check = (v) =>
  v === "timer" || v === "manual" || v === null ? null : isNumber(v);

/** The checks of each optional field of an {@link OkResponse}. */
const OK_FIELDS: Record<string, Check> = {
  services: listOf(shape(STATUS_FIELDS)),
  details: listOf(shape({
    ...STATUS_FIELDS,
    uptime: orNull(isNumber),
    restarts: orNull(isNumber),
    lastExit: orNull(isString),
    logger: orNull(isString),
    readiness: isReadiness,
    reason: orNull(isString),
  })),
  info: shape({
    pid: isNumber,
    protocol: orNull(isNumber),
    version: orNull(isString),
    services: isNumber,
    reaps: isNumber,
    svReaps: isNumber,
    fds: orNull(isNumber),
    rss: orNull(isNumber),
    boot: orNull(isNumber),
    uptime: orNull(isNumber),
    dir: orNull(isString),
    pid1: orNull(isBoolean),
  }),
  results: listOf(shape({ name: isString, state: isState, ok: isBoolean })),
  pids: (v) => {
    if (!isObject(v)) return "not an object";
    for (const [name, pid] of Object.entries(v)) {
      if (isPid(pid) !== null) return `${name}: not a pid`;
    }
    return null;
  },
  errors: listOf(
    shape({ service: isString, code: isString, message: isString }),
  ),
};

function serverLineProblem(v: unknown): string | null {
  if (!isObject(v)) return "not a JSON object";
  if (
    v.id !== undefined && isString(v.id) !== null && isNumber(v.id) !== null
  ) {
    return "id: not a string or a number";
  }
  if ("event" in v) {
    const problem = isEvent(v.event);
    return problem === null ? null : `event: ${problem}`;
  }
  if (v.ok === true) {
    for (const [key, check] of Object.entries(OK_FIELDS)) {
      if (v[key] === undefined) continue;
      const problem = check(v[key]);
      if (problem !== null) return `${key}: ${problem}`;
    }
    return null;
  }
  if (v.ok === false) {
    const problem = shape({ code: isString, message: isString })(v.error);
    if (problem !== null) return `error: ${problem}`;
    const service = (v.error as Record<string, unknown>).service;
    return service === undefined || typeof service === "string"
      ? null
      : "error: service: not a string";
  }
  return 'neither an event nor an answer ("ok")';
}
