/**
 * nitroctl's exit statuses and error codes, and how failures map onto
 * them: the status, the line for stderr, and the error object `--json`
 * prints.
 *
 * @module
 */

import { NitroError } from "../client.ts";
import { EXIT_FATAL, EXIT_USAGE } from "../core/exit_status.ts";
import { message } from "../errors.ts";
import { ERROR_CODES, type ErrorCode, type ServiceError } from "../protocol.ts";
import { UsageError } from "./args.ts";

/** Exit statuses. */
export const EXIT = {
  /** Everything done. */
  ok: 0,
  /** A start/restart ended FATAL, or pidof/check found no pid. */
  failed: 1,
  /** Bad command line. */
  usage: EXIT_USAGE,
  /** `-t` expired first. */
  timeout: 3,
  /**
   * No such service (even when the others were served), bad name, no
   * process to signal (C nitro answers it as no such service), nitro
   * unreachable, or refusing (`busy`, shutting down).
   */
  unavailable: EXIT_FATAL,
  /** Ctrl-C ended a wait: 128 + SIGINT, as a shell reports it. */
  interrupted: 130,
} as const;

/**
 * The `code` of an error nitroctl reports under `--json`: the protocol's
 * error codes, and
 * - `usage`: the command line is wrong (exit 2);
 * - `timeout`: `-t` expired (exit 3);
 * - `unreachable`: nitro could not be reached, or went away (exit 111);
 * - `fatal`: a service ended FATAL instead of its target (exit 1);
 * - `no-process`: a signal found no process to signal (exit 111).
 */
export type CtlErrorCode =
  | ErrorCode
  | "usage"
  | "timeout"
  | "unreachable"
  | "fatal"
  | "no-process";

/** Every {@link CtlErrorCode}: the set nitroctl(1) documents. */
export const CTL_ERROR_CODES: readonly CtlErrorCode[] = [
  ...ERROR_CODES,
  "usage",
  "timeout",
  "unreachable",
  "fatal",
  "no-process",
];

/** An error as `--json` prints it. */
export interface CtlError {
  code: CtlErrorCode;
  /** For people: what went wrong. */
  message: string;
  /** The service it is about, where there is one. */
  service?: string;
}

/** `-t` expired before the work was done. */
export class TimeoutError extends Error {
  /** What was still pending, as this nitroctl found out (or undefined). */
  pending?: string;

  /** Make the error for a limit of `ms` milliseconds. */
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s (-t)`);
    this.name = "TimeoutError";
  }
}

/** C nitroctl's words when `-t` expires. */
export const C_TIMED_OUT = "nitroctl: action timed out";

/** What a failure means: exit status, stderr line, `--json` error. */
export interface Failure {
  status: number;
  /** The line for stderr: `nitroctl: …`. */
  message: string;
  error: CtlError;
}

/**
 * The exit status, the one-line message and the error object for an error
 * thrown while running a command. Every {@link NitroError} — whether nitro
 * refused the request or could not be reached — is 111, as is anything
 * unexpected.
 *
 * @example
 * ```ts
 * import { NitroError } from "../client.ts";
 * import { failure } from "./exit.ts";
 * const { status, message, error } = failure(new NitroError("no-such-service", "no such service", { service: "web" }));
 * console.assert(status === 111 && message === "nitroctl: no such service 'web'");
 * console.assert(error.code === "no-such-service" && error.service === "web");
 * ```
 */
export function failure(error: unknown): Failure {
  if (error instanceof UsageError) {
    return {
      status: EXIT.usage,
      message: error.message,
      error: { code: "usage", message: error.reason ?? error.message },
    };
  }
  if (error instanceof TimeoutError) {
    const pending = error.pending === undefined ? "" : `: ${error.pending}`;
    return {
      status: EXIT.timeout,
      message: C_TIMED_OUT + pending,
      error: { code: "timeout", message: error.message + pending },
    };
  }
  if (error instanceof NitroError) {
    return unavailable(codeOf(error.code), error.message, error.service);
  }
  const text = message(error);
  return {
    status: EXIT.unavailable,
    message: `nitroctl: ${text}`,
    error: { code: "internal", message: text },
  };
}

/**
 * A SERVICE argument nitro could not serve (an entry of a response's
 * `errors`), as a failure.
 *
 * @example
 * ```ts
 * import { serviceFailure } from "./exit.ts";
 * const { message, error } = serviceFailure({ service: "x", code: "no-such-service", message: "no such service" });
 * console.assert(message === "nitroctl: no such service 'x'" && error.service === "x");
 * ```
 */
export function serviceFailure(e: ServiceError): Failure {
  return unavailable(codeOf(e.code), e.message, e.service);
}

/**
 * A failure of status 111. A service nitro does not serve is in C
 * nitroctl's words, `no such service 'X'` (C nitro answers every such
 * request alike; a path sent is named by its last component, the name C
 * nitroctl sends), the reason appended when it is more than that; any other
 * failure names the service, unless its message does.
 */
function unavailable(
  code: CtlErrorCode,
  message: string,
  service: string | undefined,
): Failure {
  let text: string;
  if (
    service !== undefined && (code === "no-such-service" || code === "bad-name")
  ) {
    const name = service.startsWith("/")
      ? service.slice(service.lastIndexOf("/") + 1)
      : service;
    text = `no such service '${name}'` +
      (message === "no such service" ? "" : `: ${message}`);
  } else {
    text = service !== undefined && !message.includes(service)
      ? `${service}: ${message}`
      : message;
  }
  return {
    status: EXIT.unavailable,
    message: `nitroctl: ${text}`,
    error: ctlError(code, message, service),
  };
}

/**
 * An error object, with `service` only when there is one.
 *
 * @example
 * ```ts
 * import { ctlError } from "./exit.ts";
 * console.assert(!("service" in ctlError("busy", "too many clients")));
 * ```
 */
export function ctlError(
  code: CtlErrorCode,
  message: string,
  service?: string,
): CtlError {
  return service === undefined ? { code, message } : { code, message, service };
}

/**
 * A client's error code as nitroctl reports it: the protocol's own codes as
 * they are; failing to reach nitro, to be allowed to, or to keep the
 * connection is `unreachable`; anything else (nitro spoke nonsense) is
 * `internal`.
 */
function codeOf(code: string): CtlErrorCode {
  if ((ERROR_CODES as readonly string[]).includes(code)) {
    return code as ErrorCode;
  }
  if (
    code === "unreachable" || code === "permission" || code === "disconnected"
  ) {
    return "unreachable";
  }
  return "internal";
}
