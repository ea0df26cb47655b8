/**
 * The argv a script starts with: the one the kernel would build for
 * `execve("run", ["run", ...args])` in the service directory, as C nitro
 * does, so that `$0` is `run` (or `setup`, `finish`) and not a path.
 *
 * Why nitro builds it itself: no exec it can reach takes a slash-less file
 * name without searching PATH. `Deno.Command` resolves a slash-less command
 * through PATH (and fails: "NotFound"), and has no argv0 option; dash (the
 * usual /bin/sh) has no `exec -a`, and finds `run` in the current directory
 * only through an empty PATH element, which the script would then inherit.
 * So for a `#!` script nitro reads the interpreter line, as the kernel's
 * binfmt_script does, and starts the interpreter with `run` as its script
 * argument: `/bin/sh run ARGS`, exactly the argv (and /proc/PID/cmdline) the
 * kernel gives. A binary (no `#!`) is exec'd as `./run` with argv[0] `run`
 * where the shell can say so (`exec -a`: bash, busybox ash), else `./run`.
 *
 * @module
 */

import { basename, dirname } from "node:path";

/** How much of a script the kernel reads for its `#!` line. */
export const SHEBANG_LIMIT = 256;

/**
 * The interpreter and its optional argument from the start of a script, as
 * Linux reads them: `#!`, blanks, the interpreter up to a blank, blanks, the
 * rest of the line (trailing blanks removed) as one argument. Null when the
 * file does not start with `#!`, or nitro leaves it to the kernel: no
 * newline within {@link SHEBANG_LIMIT} bytes, or an interpreter that is not
 * an absolute path (the kernel would look for it in the service directory).
 *
 * @example
 * ```ts
 * import { parseShebang } from "./script_argv.ts";
 * const bytes = new TextEncoder().encode("#! /usr/bin/env  python3 -u \nx");
 * console.assert(parseShebang(bytes)?.join(" ") === "/usr/bin/env python3 -u");
 * ```
 */
export function parseShebang(head: Uint8Array): string[] | null {
  if (head[0] !== 0x23 || head[1] !== 0x21) return null; // "#!"
  const end = head.subarray(0, SHEBANG_LIMIT).indexOf(0x0a);
  if (end < 0) return null;
  const line = new TextDecoder().decode(head.subarray(2, end));
  const m = /^[ \t]*([^ \t\0]+)[ \t]*(.*?)[ \t]*$/s.exec(line);
  if (m === null || !m[1].startsWith("/")) return null;
  return m[2] === "" ? [m[1]] : [m[1], m[2]];
}

/** What to exec for a script. */
export interface ScriptExec {
  /** The file to exec (`argv[0]` of it, unless `argv0` says otherwise). */
  argv: string[];
  /** The `argv[0]` a binary should get instead (`run` for `./run`). */
  argv0: string | null;
}

/**
 * What to exec for the script at `command` (absolute) with `args`, run in
 * `cwd`; `head` is the start of the file (null: unreadable). The script is
 * named relative to `cwd` when it lies there, as nitro names it.
 *
 * @example
 * ```ts
 * import { scriptArgv } from "./script_argv.ts";
 * const sh = new TextEncoder().encode("#!/bin/sh\n");
 * const x = scriptArgv("/sv/web/run", ["a"], "/sv/web", sh);
 * console.assert(x.argv.join(" ") === "/bin/sh run a" && x.argv0 === null);
 * ```
 */
export function scriptArgv(
  command: string,
  args: string[],
  cwd: string,
  head: Uint8Array | null,
): ScriptExec {
  const here = dirname(command) === cwd;
  const name = here ? basename(command) : command;
  const interpreter = head === null ? null : parseShebang(head);
  if (interpreter !== null) {
    return { argv: [...interpreter, name, ...args], argv0: null };
  }
  if (!here) return { argv: [command, ...args], argv0: null };
  return { argv: [`./${name}`, ...args], argv0: name };
}

/**
 * The first {@link SHEBANG_LIMIT} bytes of the script at `path`, or null
 * when it is not a regular file one can read (it is then left to exec,
 * whose error is the one to report). Only regular files are opened: opening
 * a FIFO would block nitro.
 */
export function readHead(path: string): Uint8Array | null {
  try {
    if (!Deno.statSync(path).isFile) return null;
    using file = Deno.openSync(path, { read: true });
    const buf = new Uint8Array(SHEBANG_LIMIT);
    let filled = 0;
    while (filled < buf.length) {
      const n = file.readSync(buf.subarray(filled));
      if (n === null || n === 0) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    if (err instanceof Deno.errors.PermissionDenied) return null;
    throw err;
  }
}
