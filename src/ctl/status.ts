/**
 * `nitroctl status` for people: one block per service saying what it is
 * doing and why. Loaded only by `status`, to keep nitroctl's start-up small.
 *
 * @module
 */

import type { ServiceDetail } from "../protocol.ts";

/**
 * One service as a block of lines: the name, then indented `key: value`
 * lines — state, pid, uptime, last exit, restarts, logger, readiness where
 * it applies (not for a one-shot nor a FATAL service), and the reason when
 * it is FATAL.
 *
 * @example
 * ```ts
 * import { formatDetail } from "./status.ts";
 * const block = formatDetail({
 *   name: "web", state: "FATAL", pid: null, wstatus: 0, seconds: 3,
 *   uptime: null, restarts: 0, lastExit: null, logger: null,
 *   readiness: "timer", reason: "run is not executable",
 * });
 * console.assert(block[0] === "web");
 * console.assert(block.at(-1) === "  reason:    run is not executable");
 * ```
 */
export function formatDetail(d: ServiceDetail): string[] {
  const rows: [string, string][] = [
    ["state", `${d.state} for ${formatDuration(d.seconds)}`],
    ["pid", d.pid === null ? "-" : String(d.pid)],
    ["uptime", d.uptime === null ? "-" : formatDuration(d.uptime)],
    ["last exit", d.lastExit ?? "none yet"],
    ["restarts", d.restarts === null ? "unknown" : String(d.restarts)],
    ["logger", d.logger ?? "none (nitro's output)"],
  ];
  // Only where it applies: a one-shot (readiness null) has no `run` to be
  // ready, and a FATAL service will not be ready until started again.
  if (d.readiness !== null && d.state !== "FATAL") {
    rows.push(["readiness", formatReadiness(d.readiness)]);
  }
  if (d.reason !== null) rows.push(["reason", d.reason]);
  return [d.name, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}`)];
}

/**
 * Every block, separated by empty lines.
 *
 * @example
 * ```ts
 * import { formatDetails } from "./status.ts";
 * console.assert(formatDetails([]).length === 0);
 * ```
 */
export function formatDetails(details: readonly ServiceDetail[]): string[] {
  return details.flatMap((d, i) =>
    i === 0 ? formatDetail(d) : ["", ...formatDetail(d)]
  );
}

/**
 * How a service tells nitro it is ready, in words.
 *
 * @example
 * ```ts
 * import { formatReadiness } from "./status.ts";
 * console.assert(formatReadiness(3) === "notification-fd 3");
 * ```
 */
export function formatReadiness(r: ServiceDetail["readiness"]): string {
  if (r === null) return "unknown";
  if (r === "timer") return "UP after 2 s running (no notification-fd)";
  if (r === "manual") return "by hand: nitroctl ready (notification-fd 0)";
  return `notification-fd ${r}`;
}

/**
 * Whole seconds for people: `42s`, `3m 05s`, `2h 00m 07s`, `3d 04h 10m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./status.ts";
 * console.assert(formatDuration(3725) === "1h 02m 05s");
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${two(Math.floor(s / 60) % 60)}m ${
      two(s % 60)
    }s`;
  }
  return `${Math.floor(s / 86400)}d ${two(Math.floor(s / 3600) % 24)}h ${
    two(Math.floor(s / 60) % 60)
  }m`;
}
