/**
 * Which logger a service writes into (spec §4), decided from plain facts so
 * it can be tested without a file system.
 *
 * @module
 */

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
 * loggerOf({ ...base, name: "LOG@web" }); // "LOG"
 * loggerOf({ ...base, name: "web", link: "x@" }); // "x@web"
 * ```
 */
export function loggerOf(q: LoggerQuery): string | null {
  if (q.link !== null) {
    return q.link.endsWith("@") ? q.link + (q.param ?? q.name) : q.link;
  }
  if (q.name === "LOG") return null;
  if (q.name.startsWith("LOG@")) return q.hasLog ? "LOG" : null;
  if (q.hasLogTemplate) return `LOG@${q.name}`;
  return q.hasLog ? "LOG" : null;
}

/** A service as the shutdown order sees it. */
export interface StopCandidate {
  name: string;
  /** Whether it has no process and needs no further stopping. */
  stopped: boolean;
  /** The logger its running processes write into, if any. */
  logger: string | null;
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
