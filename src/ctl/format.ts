/**
 * How nitroctl prints what nitro answers, as text for people.
 * (`--json` output is the protocol's own objects, one per line.)
 *
 * @module
 */

import type { DaemonInfo, ServiceEvent, ServiceStatus } from "../protocol.ts";

/**
 * One `list` line: `STATE name (pid N) (wstatus N) Ns`, the pid only when
 * there is one, the wait status only when it is not 0.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./format.ts";
 * const line = formatStatus({ name: "web", state: "UP", pid: 42, wstatus: 0, seconds: 7 });
 * console.assert(line === "UP web (pid 42) 7s");
 * ```
 */
export function formatStatus(s: ServiceStatus): string {
  let line = `${s.state} ${s.name}`;
  if (s.pid !== null) line += ` (pid ${s.pid})`;
  if (s.wstatus !== 0) line += ` (wstatus ${s.wstatus})`;
  return `${line} ${s.seconds}s`;
}

/**
 * `info` as `key value` lines. Uptime is shown in whole seconds.
 *
 * @example
 * ```ts
 * import { formatInfo } from "./format.ts";
 * const lines = formatInfo({
 *   pid: 1, protocol: 1, version: "0.1.0", services: 3, reaps: 9,
 *   uptime: 61500, dir: "/etc/nitro", pid1: true,
 * });
 * console.assert(lines.includes("uptime 61s"));
 * ```
 */
export function formatInfo(info: DaemonInfo): string[] {
  return [
    `pid ${info.pid}`,
    `protocol ${info.protocol}`,
    `version ${info.version}`,
    `services ${info.services}`,
    `reaps ${info.reaps}`,
    `uptime ${Math.floor(info.uptime / 1000)}s`,
    `dir ${info.dir}`,
    `pid1 ${info.pid1}`,
  ];
}

/**
 * An event (for `events` and `-v`): `STATE name`.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./format.ts";
 * console.assert(formatEvent({ name: "web", state: "UP", pid: 4, time: 9 }) === "UP web");
 * ```
 */
export function formatEvent(e: ServiceEvent): string {
  return `${e.state} ${e.name}`;
}
