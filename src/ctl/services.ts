/**
 * SERVICE arguments: names go to nitro as they are; paths (`.`, `..`, or
 * anything with a `/`) become absolute paths, with `$NITRO_SERVICE` as
 * the hint that tells template instances sharing a directory apart.
 * Loaded only when an argument is a path.
 *
 * @module
 */

import { NitroError } from "../client.ts";
import { osMessage } from "../errors.ts";
import { isPath } from "./args.ts";

export { isPath };

/** Services ready to send, and the hint when any of them is a path. */
export interface ServiceArgs {
  services: string[];
  hint?: string;
}

/**
 * Resolve SERVICE arguments. A path is made absolute as C nitroctl makes
 * it ({@link lexicalPath}): its last component is the name C nitroctl
 * sends, which nitro prefers among services sharing the directory (`alias`,
 * a symlink to `web`, is alias). Where that spelling does not exist but the
 * path does (`..` out of a symlinked directory), its real path is sent.
 *
 * @throws {NitroError} `no-such-service` at the first path that does not
 *   exist, in C nitroctl's words (`no such service: /abs/path: why`):
 *   as C nitroctl, nothing is sent then.
 *
 * @example
 * ```ts ignore
 * import { resolveServices } from "./services.ts";
 * resolveServices(["."], "getty@tty1");
 * // (in /etc/nitro/getty@) { services: ["/etc/nitro/getty@"], hint: "getty@tty1" }
 * ```
 */
export function resolveServices(
  args: readonly string[],
  hint: string | undefined,
): ServiceArgs {
  let paths = false;
  const services: string[] = [];
  for (const arg of args) {
    if (!isPath(arg)) {
      services.push(arg);
      continue;
    }
    paths = true;
    const path = lexicalPath(arg);
    try {
      Deno.statSync(path);
      services.push(path);
      continue;
    } catch {
      // Not there as spelt: perhaps physically.
    }
    try {
      services.push(Deno.realPathSync(arg));
    } catch (error) {
      throw new NitroError("no-such-service", noSuchPath(arg, error));
    }
  }
  return paths && hint ? { services, hint } : { services };
}

/**
 * C nitroctl's words for a SERVICE path that is not there:
 * `no such service: /abs/path: No such file or directory`, the path made
 * absolute as {@link lexicalPath} does.
 */
export function noSuchPath(arg: string, error: unknown): string {
  const why = osMessage(error);
  return `no such service: ${lexicalPath(arg)}: ${why}`;
}

/**
 * `arg` made absolute without resolving links, as C nitroctl does: from
 * `$PWD` when that is the working directory (it keeps links), `.` and `..`
 * taken lexically.
 *
 * @example
 * ```ts ignore
 * import { lexicalPath } from "./services.ts";
 * lexicalPath("/etc/nitro/../nitro/./web"); // "/etc/nitro/web"
 * ```
 */
export function lexicalPath(arg: string): string {
  const parts: string[] = [];
  const push = (text: string) => {
    for (const part of text.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") parts.pop();
      else parts.push(part);
    }
  };
  if (!arg.startsWith("/")) push(workingDirectory());
  push(arg);
  return `/${parts.join("/")}`;
}

/** `$PWD` when it is the working directory (it keeps links), else cwd. */
function workingDirectory(): string {
  const cwd = Deno.cwd();
  try {
    const pwd = Deno.env.get("PWD");
    if (pwd) {
      const a = Deno.statSync(pwd);
      const b = Deno.statSync(".");
      if (a.dev === b.dev && a.ino === b.ino) return pwd;
    }
  } catch {
    // Not readable: the physical directory will do.
  }
  return cwd;
}
