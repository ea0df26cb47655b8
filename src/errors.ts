/**
 * Turning whatever was thrown into text for a message.
 *
 * @module
 */

/**
 * The message of an error, or the thrown value as text.
 *
 * @example
 * ```ts
 * import { message } from "./errors.ts";
 * console.assert(message(new Error("no such file")) === "no such file");
 * console.assert(message("plain") === "plain");
 * ```
 */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The stack of an error where there is one (for nitro's own bugs, which
 * need it), else its message.
 */
export function stackOf(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

/**
 * The message of an error without Deno's ` (os error N)` suffix and what
 * follows it (`: stat '/path'`), for lines that name the path themselves.
 *
 * @example
 * ```ts
 * import { osMessage } from "./errors.ts";
 * const err = new Error("No such file or directory (os error 2): stat '/x'");
 * console.assert(osMessage(err) === "No such file or directory");
 * ```
 */
export function osMessage(err: unknown): string {
  return message(err).replace(/ \(os error \d+\).*$/, "");
}
