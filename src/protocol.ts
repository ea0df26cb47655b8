/**
 * The control protocol spoken over nitro's Unix socket.
 *
 * Newline-delimited JSON: the client writes one request per line, the daemon
 * answers each with exactly one final response line. Requests that wait or
 * follow (`wait`, `events`) may first stream {@link EventLine}s for that
 * request. Every line the daemon writes carries the request's `id` when the
 * request had one. Unknown request fields are ignored, so clients may send
 * fields a future daemon understands.
 *
 * @example Talking to nitro with socat
 * ```sh
 * echo '{"id":1,"op":"list"}' | socat - UNIX-CONNECT:$NITRO_SOCK
 * # {"id":1,"ok":true,"services":[{"name":"web","state":"UP","pid":42,...}]}
 * ```
 *
 * @module
 */

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

/** Facts about the daemon, answered by `info`. */
export interface DaemonInfo {
  /** nitro's own pid. */
  pid: number;
  /** {@link PROTOCOL_VERSION} of the daemon. */
  protocol: number;
  /** The daemon's version. */
  version: string;
  /** Number of services (including instances). */
  services: number;
  /** Number of processes nitro has reaped. */
  reaps: number;
  /** Milliseconds since the daemon started (monotonic). */
  uptime: number;
  /** The service directory. */
  dir: string;
  /** Whether nitro runs as pid 1. */
  pid1: boolean;
}

/** Result for one service of an `up`/`down`/`restart`/`wait`/`ready` request. */
export interface ServiceResult {
  /** The service. */
  name: string;
  /** State when the request finished. */
  state: State;
  /** False when a wait ended in FATAL instead of the target. */
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
  | "shutting-down";

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
  /** `info`. */
  info?: DaemonInfo;
  /** `up`/`down`/`restart`/`wait`/`ready`/`signal`. */
  results?: ServiceResult[];
  /** `pidof`: name → pid or null. */
  pids?: Record<string, number | null>;
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
