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
