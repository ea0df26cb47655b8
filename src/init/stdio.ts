/**
 * Is nitro's own stdio fit to hand to services?
 *
 * nitro may be started with fd 0, 1 or 2 closed (FreeBSD `/etc/ttys` with
 * `""` as the terminal, a kernel that found no console). Spawning a service
 * with `"inherit"` must not then give it a closed or runtime-internal fd.
 *
 * What Deno 2.9.6 actually does (tested on Linux): before any JavaScript
 * runs, the Rust runtime reopens each closed fd 0–2 onto `/dev/null`, so
 * `deno run x.ts 0<&- 1>&- 2>&-` runs normally with all three on
 * `/dev/null`, and runtime-internal fds (eventpoll, eventfd, sockets) land
 * at 3 and up, never at 0–2. If `/dev/null` cannot be opened (no devtmpfs
 * mounted yet) the runtime calls abort() before any JavaScript runs: status
 * 134 (SIGABRT) normally; as pid 1, which ignores its own SIGABRT, glibc
 * escalates and it dies by SIGSEGV — for the real pid 1 a kernel panic. So
 * an initramfs starting nitro without a console must provide `/dev/null`
 * (or a console); nothing in here can help with that.
 *
 * So in practice a closed fd shows up as `/dev/null` (usable: "inherit" is
 * then harmless). An fd that *is* unfit can still be inherited from the
 * parent: a directory (`1</tmp`) or an anon-inode (epoll, eventfd…) put
 * there by a sloppy launcher. {@link stdioStatus} reports those as unusable.
 *
 * Uses `node:fs` `fstatSync`, which needs no permission and no FFI (reading
 * `/proc/self/fd` would need `--allow-all` in Deno 2.9.6), so it works as
 * pid 1 or not. But as pid 1, load this module only once /proc is mounted
 * (after `enterPid1()`): Deno panics loading any `node:` module without
 * /proc.
 *
 * @example Choose stdio for a service
 * ```ts
 * import { stdioStatus } from "./stdio.ts";
 * const ok = stdioStatus();
 * const stdout = ok.stdout ? "inherit" : "null";
 * const stderr = ok.stderr ? "inherit" : "null";
 * ```
 *
 * @module
 */

import { fstatSync } from "node:fs";
import { isatty } from "node:tty";

/** What an fd refers to, as far as `fstat` tells. */
export type FdKind =
  | "tty"
  | "char" // other character device, e.g. /dev/null
  | "file"
  | "pipe"
  | "socket"
  | "directory"
  | "block"
  | "internal" // anon inode: epoll, eventfd, signalfd, …
  | "closed";

const S_IFMT = 0o170000;
const KINDS: Record<number, FdKind> = {
  0o020000: "char",
  0o100000: "file",
  0o010000: "pipe",
  0o140000: "socket",
  0o040000: "directory",
  0o060000: "block",
  0: "internal", // anon inodes have no file type bits
};

/** Classify an open fd (0, 1 or 2; Deno's `node:fs` knows only these). */
export function fdKind(fd: number): FdKind {
  let mode: number;
  try {
    mode = fstatSync(fd).mode;
  } catch {
    return "closed";
  }
  const kind = KINDS[mode & S_IFMT] ?? "internal";
  return kind === "char" && isatty(fd) ? "tty" : kind;
}

/** Kinds a service can use as stdin/stdout/stderr. */
const USABLE: ReadonlySet<FdKind> = new Set<FdKind>([
  "tty",
  "char",
  "file",
  "pipe",
  "socket",
]);

/** Whether each of nitro's fds 0–2 is fit to be inherited by services. */
export interface StdioStatus {
  /** fd 0 is usable. */
  stdin: boolean;
  /** fd 1 is usable. */
  stdout: boolean;
  /** fd 2 is usable. */
  stderr: boolean;
}

/**
 * True where the fd is a tty, other character device (`/dev/null`), file,
 * pipe or socket; false where it is closed, a directory, a block device or
 * a runtime-internal anon inode.
 */
export function stdioStatus(): StdioStatus {
  return {
    stdin: USABLE.has(fdKind(0)),
    stdout: USABLE.has(fdKind(1)),
    stderr: USABLE.has(fdKind(2)),
  };
}
