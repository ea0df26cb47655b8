/**
 * What pid 1 says on the console at the end, in C nitro's words: the last
 * sweep, the remount, the power-off. Pure, so the words are tested where a
 * real machine cannot be powered off.
 *
 * @module
 */

import { escapeControl } from "../core/text.ts";
import { failureWords } from "./errno_words.ts";

/** Before the last sweep's SIGTERM (and SIGCONT) to every process. */
export const SENDING_SIGTERM = "- nitro: sending SIGTERM to all processes";
/** When some are left after the grace. */
export const SENDING_SIGKILL = "- nitro: sending SIGKILL to all processes";
/**
 * Once nobody is left: C nitro ends the sweep with this, on a line of its
 * own (the lines above end with a newline).
 */
export const ALL_GONE = " done.\n";

/**
 * After remounting `/` read-only: `failure` null when it worked.
 *
 * @example
 * ```ts
 * import { remountLine } from "./console_lines.ts";
 * console.assert(remountLine(null) === "- nitro: remounted / read-only");
 * const busy = Object.assign(new Error("mount /: EBUSY"), { errno: 16 });
 * console.assert(
 *   remountLine(busy, "linux") ===
 *     "- nitro: could not remount / read-only: errno=16 (Device or resource busy)",
 * );
 * ```
 */
export function remountLine(
  failure: unknown | null,
  os: string = Deno.build.os,
): string {
  return failure === null
    ? "- nitro: remounted / read-only"
    : `- nitro: could not remount / read-only: ${
      escapeControl(failureWords(failure, os))
    }`;
}

/**
 * The last line before the machine powers off or reboots.
 *
 * @example
 * ```ts
 * import { powerLine } from "./console_lines.ts";
 * console.assert(powerLine("shutdown") === "- nitro: system halt");
 * console.assert(powerLine("reboot") === "- nitro: system reboot");
 * ```
 */
export function powerLine(mode: "shutdown" | "reboot"): string {
  return `- nitro: system ${mode === "reboot" ? "reboot" : "halt"}`;
}

/**
 * When exec of SYS/reincarnate failed (it exists: nitro looked).
 *
 * @example
 * ```ts
 * import { reincarnateFailedLine } from "./console_lines.ts";
 * const err = Object.assign(new Error("execve: ENOEXEC"), { errno: 8 });
 * console.assert(
 *   reincarnateFailedLine(err, "linux") ===
 *     "- nitro: SYS/reincarnate failed to exec: errno=8 (Exec format error)",
 * );
 * ```
 */
export function reincarnateFailedLine(
  err: unknown,
  os: string = Deno.build.os,
): string {
  return `- nitro: SYS/reincarnate failed to exec: ${
    escapeControl(failureWords(err, os))
  }`;
}
