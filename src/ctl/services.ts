/**
 * SERVICE arguments: names go to nitro as they are; paths (`.`, `..`, or
 * anything with a `/`) become absolute real paths, with `$NITRO_SERVICE` as
 * the hint that tells template instances sharing a directory apart.
 * Loaded only when an argument is a path.
 *
 * @module
 */

import { NitroError } from "../client.ts";
import type { ServiceError } from "../protocol.ts";
import { isPath } from "./args.ts";

export { isPath };

/** Services ready to send, and the hint when any of them is a path. */
export interface ServiceArgs {
  services: string[];
  hint?: string;
  /**
   * Paths that do not exist: reported, while the other arguments are
   * still sent (as nitro itself does with unknown names).
   */
  errors?: ServiceError[];
}

/**
 * Resolve SERVICE arguments. Paths resolve as realpath(3) does: relative
 * to the physical cwd, so `..` in a symlinked directory is its target's
 * parent. A path that does not exist is listed in `errors`.
 *
 * @throws {NitroError} `no-such-service` when no argument is left to send.
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
  const services: string[] = [];
  const errors: ServiceError[] = [];
  for (const arg of args) {
    if (!isPath(arg)) {
      services.push(arg);
      continue;
    }
    paths = true;
    try {
      services.push(Deno.realPathSync(arg));
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "no such service"
        : `no such service (${error instanceof Error ? error.message : error})`;
      errors.push({ service: arg, code: "no-such-service", message: why });
    }
  }
  if (services.length === 0 && errors.length > 0) {
    const { code, message, service } = errors[0];
    throw new NitroError(code, message, { service });
  }
  const target: ServiceArgs = paths && hint ? { services, hint } : { services };
  if (errors.length > 0) target.errors = errors;
  return target;
}
