/**
 * Text from the socket made safe for a terminal: whatever a daemon (or
 * something squatting its socket) sends, nitroctl never prints a byte that
 * drives the terminal or reorders what it shows.
 *
 * @module
 */

/**
 * Control characters (C0 but tab, DEL, C1), bidi overrides and isolates,
 * and lone surrogates: each shown as `\xHH` or `\uHHHH`.
 */
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` with everything a terminal would act on made visible. A newline
 * is escaped too: `escapeText` is for one line's worth of text.
 *
 * @example
 * ```ts
 * import { escapeText } from "./escape.ts";
 * console.assert(escapeText("a\x1b]0;x\x07b") === "a\\x1b]0;x\\x07b");
 * console.assert(escapeText("a\u202eb") === "a\\u202eb");
 * ```
 */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Each line of `text` escaped, the newlines between them kept. */
export function escapeLines(text: string): string {
  return text.split("\n").map(escapeText).join("\n");
}
