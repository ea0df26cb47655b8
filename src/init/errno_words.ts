/**
 * errno in C nitro's words, `errno=16`, and in words a person can read,
 * `(Device or resource busy)`: for the console lines of pid 1, which may
 * be all there is to read on a machine that does not come back.
 *
 * Loaded without libc (the daemon's shell uses it too): errors are told
 * apart by an `errno` field, as `ErrnoError` of libc.ts carries.
 *
 * @module
 */

import { message } from "../errors.ts";

/** strerror(3)'s words for the numbers Linux and FreeBSD share. */
const SHARED: Readonly<Record<number, string>> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  3: "No such process",
  4: "Interrupted system call",
  5: "Input/output error",
  7: "Argument list too long",
  8: "Exec format error",
  12: "Cannot allocate memory",
  13: "Permission denied",
  14: "Bad address",
  16: "Device or resource busy",
  20: "Not a directory",
  21: "Is a directory",
  22: "Invalid argument",
  24: "Too many open files",
  26: "Text file busy",
  30: "Read-only file system",
};

/** Those whose numbers differ between the two. */
const LINUX: Readonly<Record<number, string>> = {
  11: "Resource temporarily unavailable",
  36: "File name too long",
  40: "Too many levels of symbolic links",
};

/**
 * `errno=N (words)`, as C nitro prints it with strerror's words added.
 *
 * @example
 * ```ts
 * import { errnoWords } from "./errno_words.ts";
 * console.assert(errnoWords(16, "linux") === "errno=16 (Device or resource busy)");
 * console.assert(errnoWords(999, "linux") === "errno=999");
 * ```
 */
export function errnoWords(errno: number, os: string = Deno.build.os): string {
  const words = SHARED[errno] ?? (os === "linux" ? LINUX[errno] : undefined);
  return words === undefined ? `errno=${errno}` : `errno=${errno} (${words})`;
}

/**
 * Why a call failed: {@link errnoWords} for an error that carries errno,
 * else the error's message.
 *
 * @example
 * ```ts
 * import { failureWords } from "./errno_words.ts";
 * const err = Object.assign(new Error("execve /x: ENOENT"), { errno: 2 });
 * console.assert(failureWords(err, "linux") === "errno=2 (No such file or directory)");
 * console.assert(failureWords(new Error("not pid 1")) === "not pid 1");
 * ```
 */
export function failureWords(err: unknown, os: string = Deno.build.os): string {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" ? errnoWords(errno, os) : message(err);
}
