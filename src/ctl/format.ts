/**
 * How nitroctl prints what nitro answers, as text for people.
 * (`--json` output is the protocol's own objects, one per line.)
 *
 * @module
 */

import type { DaemonInfo, ServiceEvent, ServiceStatus } from "../protocol.ts";

/**
 * One `list` line: `STATE name (pid N) (wstatus N) Ns`, the pid only when
 * there is one, as C nitroctl prints it - a start that failed for good
 * included, `(wstatus -1)`.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./format.ts";
 * const line = formatStatus({ name: "web", state: "UP", pid: 42, wstatus: 0, seconds: 7 });
 * console.assert(line === "UP web (pid 42) (wstatus 0) 7s");
 * ```
 */
export function formatStatus(s: ServiceStatus): string {
  const pid = s.pid === null ? "" : `(pid ${s.pid}) `;
  return `${s.state} ${s.name} ${pid}(wstatus ${
    Math.trunc(s.wstatus)
  }) ${s.seconds}s`;
}

/**
 * `info` as `key value` lines, every value a number, C nitroctl's lines
 * first: `nitro_pid`, `pid`, `max_service` (services known), `total_reaps`,
 * `total_sv_reaps`, then the others. Text facts (dir, version, pid1) are
 * only in `--json`.
 *
 * @example
 * ```ts
 * import { formatInfo } from "./format.ts";
 * const lines = formatInfo({
 *   pid: 1, protocol: 1, version: "0.1.0", services: 3, reaps: 9,
 *   svReaps: 7, fds: 12, rss: 4096, boot: 5, uptime: 61500,
 *   dir: "/etc/nitro", pid1: true,
 * });
 * console.assert(lines[2] === "max_service 3" && lines.includes("uptime_ms 61500"));
 * ```
 */
export function formatInfo(info: DaemonInfo): string[] {
  const keys: [string, number | null][] = [
    ["nitro_pid", info.pid],
    ["pid", info.pid],
    ["max_service", info.services],
    ["total_reaps", info.reaps],
    ["total_sv_reaps", info.svReaps],
    ["uptime_ms", info.uptime],
    ["protocol", info.protocol],
    ["fds", info.fds],
    ["rss_bytes", info.rss],
    ["boot_ms", info.boot],
  ];
  return keys
    .filter((pair): pair is [string, number] => typeof pair[1] === "number")
    .map(([key, value]) => `${key} ${Math.round(value)}`);
}

/**
 * An event as `events` and `-v` print it: `STATE name`, the state C nitro
 * announces there (it may differ from the state entered: a `run` that died
 * while STARTING is announced STARTING while its `finish` runs).
 *
 * @example
 * ```ts
 * import { formatEvent } from "./format.ts";
 * console.assert(formatEvent({ name: "web", state: "UP", notice: "UP", pid: 4, time: 9 }) === "UP web");
 * ```
 */
export function formatEvent(e: ServiceEvent): string {
  return `${e.notice ?? e.state} ${e.name}`;
}
