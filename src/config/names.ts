/**
 * Service names: validation, templates and instances.
 *
 * @module
 */

/**
 * The system pseudo-service: its directory holds nitro's own scripts
 * (setup, finish, final, fatal, reincarnate), and it takes no requests.
 */
export const SYS = "SYS";

/** The default logger of every service without a `log` link of its own. */
export const LOG = "LOG";

/** The logger template: `LOG@NAME` is the logger of service NAME. */
export const LOG_TEMPLATE = "LOG@";

/** Names must be shorter than this many bytes. */
export const MAX_NAME_BYTES = 64;

/** Why a name is not a valid service name, or null if it is valid. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "empty name";
  if (new TextEncoder().encode(name).length >= MAX_NAME_BYTES) {
    return `name longer than ${MAX_NAME_BYTES - 1} bytes`;
  }
  if (name.startsWith(".")) return "name starts with '.'";
  if (/[\/,\n]/.test(name)) return "name contains '/', ',' or a newline";
  // Raw escape codes would reach every terminal that lists services, and a
  // NUL cannot be passed to the OS at all.
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      const hex = code.toString(16).padStart(2, "0");
      return `name contains the control character 0x${hex}`;
    }
    // Bidi overrides and isolates make a terminal show a name other than
    // the one it is (a listed "web" that is really "bew").
    if (
      (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)
    ) {
      return `name contains the bidi control U+${
        code.toString(16).toUpperCase()
      }`;
    }
  }
  // A lone surrogate (JSON "\ud800"): it has no UTF-8 encoding at all.
  if (!name.isWellFormed()) return "name is not valid UTF-8";
  return null;
}

/** A template's name ends in `@`; it is never a service of its own. */
export function isTemplate(name: string): boolean {
  return name.endsWith("@");
}

/**
 * Split `NAME@PARAM` into its template (`NAME@`) and parameter, or null when
 * the name is not an instance (no `@`, or a bare template).
 *
 * @example
 * ```ts
 * import { splitInstance } from "./names.ts";
 * splitInstance("agetty@tty1"); // { template: "agetty@", param: "tty1" }
 * splitInstance("web"); // null
 * ```
 */
export function splitInstance(
  name: string,
): { template: string; param: string } | null {
  const at = name.indexOf("@");
  if (at < 0 || at === name.length - 1) return null;
  return { template: name.slice(0, at + 1), param: name.slice(at + 1) };
}
