/**
 * Text nitro prints that comes from elsewhere (a file's first line, an
 * error from the system) made safe for one console line.
 *
 * @module
 */

const NAMED: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * `text` with control characters written as escapes:
 * `\r`, `\n`, `\t`, else `\xHH`. A stray carriage return would otherwise
 * rewrite the console line it is on.
 *
 * @example
 * ```ts
 * import { escapeControl } from "./text.ts";
 * console.assert(escapeControl("/bin/sh\r") === "/bin/sh\\r");
 * console.assert(escapeControl("a\x1bb") === "a\\x1bb");
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f]/g,
    (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
