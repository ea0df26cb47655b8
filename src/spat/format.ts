/**
 * What nitroctl prints from C nitro's answers: `list` and `info` exactly as
 * C nitroctl prints them, and this project's `status` with what C nitro
 * does not tell shown as unknown.
 *
 * @module
 */

import { formatDuration } from "../ctl/status.ts";
import type { ServiceDetail } from "../protocol.ts";
import { type SpatService, TAG } from "./codec.ts";

/**
 * `list` lines, sorted by name: `STATE name (pid N) (wstatus N) Ns`, the
 * pid only when there is one, the wait status signed (C nitro's -1 shows).
 *
 * @example
 * ```ts
 * import { formatCList } from "./format.ts";
 * const [line] = formatCList([{ name: "x", state: "FATAL", pid: 0, wstatus: -1, uptime: 3 }]);
 * console.assert(line === "FATAL x (wstatus -1) 3s");
 * ```
 */
export function formatCList(services: readonly SpatService[]): string[] {
  return [...services]
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map((s) =>
      `${s.state} ${s.name}${s.pid ? ` (pid ${s.pid | 0})` : ""}` +
      ` (wstatus ${s.wstatus | 0}) ${s.uptime | 0}s`
    );
}

/** `info` keys by tag, as C nitroctl prints them. */
const INFO_KEYS = new Map<number, string>([
  [TAG.nitroPid, "nitro_pid"],
  [TAG.pid, "pid"],
  [TAG.maxService, "max_service"],
  [TAG.totalReaps, "total_reaps"],
  [TAG.totalSvReaps, "total_sv_reaps"],
]);

/**
 * `info` lines in the order C nitro sent them; a tag this nitroctl does
 * not know is named as C nitroctl names it.
 *
 * @example
 * ```ts
 * import { formatCInfo } from "./format.ts";
 * console.assert(formatCInfo([[106, 7], [200, 1]]).join() === "nitro_pid 7,# unknown tag 0xc8");
 * ```
 */
export function formatCInfo(values: readonly [number, number][]): string[] {
  return values.map(([tag, value]) => {
    const key = INFO_KEYS.get(tag);
    return key === undefined
      ? `# unknown tag 0x${tag.toString(16).padStart(2, "0")}`
      : `${key} ${value | 0}`;
  });
}

/**
 * `status` blocks for services of C nitro: what it tells (state, pid, the
 * seconds since the last start or stop, the last exit when its wait status
 * says one happened), and `unknown` for the rest.
 *
 * @example
 * ```ts
 * import { formatCDetails } from "./format.ts";
 * const lines = formatCDetails([{
 *   name: "web", state: "UP", pid: 4, wstatus: 0, seconds: 65, uptime: 65,
 *   restarts: null, lastExit: null, logger: null, readiness: null, reason: null,
 * }]);
 * console.assert(lines.includes("  restarts:  unknown"));
 * ```
 */
export function formatCDetails(details: readonly ServiceDetail[]): string[] {
  return details.flatMap((d, i) => {
    const rows: [string, string][] = [
      ["state", `${d.state} for ${formatDuration(d.seconds)}`],
      ["pid", d.pid === null ? "-" : String(d.pid)],
      ["uptime", d.uptime === null ? "-" : formatDuration(d.uptime)],
      ["last exit", d.lastExit ?? `unknown (wstatus ${d.wstatus})`],
      ["restarts", "unknown"],
      ["logger", "unknown"],
      ["readiness", "unknown"],
    ];
    if (d.state === "FATAL") rows.push(["reason", "unknown"]);
    const block = [
      d.name,
      ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}`),
    ];
    return i === 0 ? block : ["", ...block];
  });
}
