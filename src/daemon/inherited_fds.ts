/**
 * File descriptors nitro inherited without close-on-exec. Every child of
 * nitro, so every service, inherits them in turn: a root-only file opened
 * by whoever started nitro would be readable by a service that dropped its
 * privileges. As pid 1 nitro marks them close-on-exec (it has libc then);
 * otherwise it can only say so.
 *
 * A shell reads nitro's `/proc/PID/fdinfo` (see `proc_probe.ts`): the
 * `flags` of each fd tell whether it is close-on-exec.
 *
 * @module
 */

import type { Children } from "./children.ts";
import { probeSelf } from "./proc_probe.ts";

/** `O_CLOEXEC` in the octal `flags` of /proc/PID/fdinfo/N. */
const O_CLOEXEC = 0o2000000;

/**
 * Prints "FD FLAGS" for each fd of process $1. Builtins only. It starts once
 * its input ends (nitro closes it after the spawn, with whatever it held
 * open just to spawn), and an fd that closes while it lists is skipped, not
 * a failure.
 */
const LIST = "read -r _\n" +
  'cd /proc/"$1"/fdinfo || exit 1\n' +
  "for fd in *; do\n" +
  "  while read -r key value; do\n" +
  '    case $key in flags:) echo "$fd $value"; break;; esac\n' +
  '  done < "$fd" 2>/dev/null\n' +
  "done\n" +
  "exit 0\n";

/**
 * The fds above 2 in an fdinfo listing ("FD FLAGS" lines) that are not
 * close-on-exec, in order.
 *
 * @example
 * ```ts
 * import { strayFds } from "./inherited_fds.ts";
 * console.assert(strayFds("0 02\n7 0100000\n9 02100002\n").join() === "7");
 * ```
 */
export function strayFds(listing: string): number[] {
  const stray: number[] = [];
  for (const line of listing.split("\n")) {
    const [fd, flags] = line.trim().split(/\s+/);
    const n = Number(fd);
    if (!Number.isInteger(n) || n <= 2 || !/^[0-7]+$/.test(flags ?? "")) {
      continue;
    }
    if ((parseInt(flags, 8) & O_CLOEXEC) === 0) stray.push(n);
  }
  return stray.sort((a, b) => a - b);
}

/** nitro's inherited fds that are not close-on-exec; [] if unknown. */
export async function inheritedFds(children: Children): Promise<number[]> {
  const listing = await probeSelf(LIST, children);
  return listing === null ? [] : strayFds(listing);
}
