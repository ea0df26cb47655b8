/**
 * Which logger a service writes into, decided from plain facts so
 * it can be tested without a file system.
 *
 * @module
 */

import { LOG, LOG_TEMPLATE, SYS } from "../config/names.ts";

/** What the decision needs to know about a service and its surroundings. */
export interface LoggerQuery {
  name: string;
  /** `PARAM` of an instance, else null. */
  param: string | null;
  /** Basename of the `log` symlink's target, or null without a link. */
  link: string | null;
  /** Whether the `LOG@` template exists. */
  hasLogTemplate: boolean;
  /** Whether the `LOG` service exists. */
  hasLog: boolean;
}

/**
 * The name of the service whose stdin receives `q.name`'s stdout, or null
 * for nitro's own stdout.
 *
 * @example
 * ```ts
 * import { loggerOf } from "./logging.ts";
 * const base = { param: null, link: null, hasLogTemplate: true, hasLog: true };
 * loggerOf({ ...base, name: "web" }); // "LOG@web"
 * loggerOf({ ...base, name: "sv@one", param: "one" }); // "LOG@one"
 * loggerOf({ ...base, name: "LOG@web" }); // "LOG"
 * loggerOf({ ...base, name: "web", link: "x@" }); // "x@web"
 * ```
 */
export function loggerOf(q: LoggerQuery): string | null {
  if (q.link !== null) {
    return q.link.endsWith("@") ? q.link + (q.param ?? q.name) : q.link;
  }
  if (q.name === LOG) return null;
  // A logger of LOG@ would log into itself, and SYS has no directory of
  // services to pick one from: both write into LOG.
  if (q.name === SYS || q.name.startsWith(LOG_TEMPLATE)) {
    return q.hasLog ? LOG : null;
  }
  if (q.hasLogTemplate) return `${LOG_TEMPLATE}${q.param ?? q.name}`;
  return q.hasLog ? LOG : null;
}

/**
 * Whether `name` reads a log pipe on its stdin: `LOG`, a `LOG@` instance,
 * or a service some other service logs into.
 */
export function readsLogPipe(
  name: string,
  loggers: ReadonlySet<string>,
): boolean {
  return name === LOG || name.startsWith(LOG_TEMPLATE) || loggers.has(name);
}

/** What the logger policy needs to know about a logger. */
export interface LoggerState {
  state: string;
  wantUp: boolean;
  /** Somebody asked for its state (e.g. `nitroctl down LOG`). */
  requested: boolean;
}

/**
 * Whether a logger must be brought up because a service that writes into it
 * starts a process: a logger starts with its first writer. One
 * taken down by hand stays down.
 */
export function writerStartsLogger(logger: LoggerState): boolean {
  return logger.state === "DOWN" && !logger.wantUp && !logger.requested;
}

/** A service as the shutdown order sees it. */
export interface StopCandidate {
  name: string;
  /** Whether it has no process and needs no further stopping. */
  stopped: boolean;
  /** The logger its running processes write into, if any. */
  logger: string | null;
  /**
   * Told to stop, it stops at once (no process to wait for: DELAY, or a
   * one-shot without finish): C nitro does not count it as one to wait for.
   */
  instant?: boolean;
}

/**
 * Which services may be told to stop now during shutdown: every service
 * still running that no running service writes into. Loggers therefore go
 * after the services that feed them (and a logger that logs into itself
 * does not wait for itself; loggers in a cycle stop together).
 */
export function stoppable(services: readonly StopCandidate[]): string[] {
  const fed = new Set<string>();
  for (const s of services) {
    if (!s.stopped && s.logger !== null && s.logger !== s.name) {
      fed.add(s.logger);
    }
  }
  const running = services.filter((s) => !s.stopped);
  const free = running.filter((s) => !fed.has(s.name));
  // Loggers that log into each other (a cycle) all feed one another: none
  // would ever be free, so stop them together.
  return (free.length > 0 ? free : running).map((s) => s.name);
}

/**
 * How shutdown stops a service once nothing running writes into it: a
 * logger drains (it reads its pipe to the end and exits by itself:
 * no line is lost); anything else gets its down signal.
 */
export function shutdownInput(
  name: string,
  loggers: ReadonlySet<string>,
): "drain" | "down" {
  return readsLogPipe(name, loggers) ? "drain" : "down";
}
