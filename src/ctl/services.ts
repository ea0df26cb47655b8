/**
 * SERVICE arguments: names go to nitro as they are; paths (`.`, `..`, or
 * anything with a `/`) become absolute real paths, with `$NITRO_SERVICE` as
 * the hint that tells template instances sharing a directory apart.
 *
 * @module
 */

import { NitroError } from "../client.ts";

/** Services ready to send, and the hint when any of them is a path. */
export interface ServiceArgs {
  services: string[];
  hint?: string;
}

/**
 * Whether a SERVICE argument is a path rather than a name.
 *
 * @example
 * ```ts
 * import { isPath } from "./services.ts";
 * console.assert(isPath(".") && isPath("../web") && !isPath("agetty@tty1"));
 * ```
 */
export function isPath(arg: string): boolean {
  return arg === "." || arg === ".." || arg.includes("/");
}

/**
 * Resolve SERVICE arguments. Paths resolve as realpath(3) does: relative
 * to the physical cwd, so `..` in a symlinked directory is its target's
 * parent.
 *
 * @throws {NitroError} `no-such-service` when a path does not exist.
 *
 * @example
 * ```ts ignore
 * import { resolveServices } from "./services.ts";
 * resolveServices(["."], "getty@tty1");
 * // { services: ["/etc/nitro/getty@"], hint: "getty@tty1" }
 * ```
 */
export function resolveServices(
  args: readonly string[],
  hint: string | undefined,
): ServiceArgs {
  let paths = false;
  const services = args.map((arg) => {
    if (!isPath(arg)) return arg;
    paths = true;
    try {
      return Deno.realPathSync(arg);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "no such service"
        : `no such service (${error instanceof Error ? error.message : error})`;
      throw new NitroError("no-such-service", why, arg);
    }
  });
  return paths && hint ? { services, hint } : { services };
}
