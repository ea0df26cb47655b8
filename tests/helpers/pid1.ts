/**
 * The old entry points of the pid-1 harness, kept for tests that still use
 * them: the harness itself is {@link Nitro} of ./nitro.ts, made with
 * `{ pid1: true }`.
 *
 * @module
 */

import { type NitroOptions, writeServices } from "./nitro.ts";
import { Nitro } from "./nitro.ts";

export {
  type CtlResult,
  parseInfo,
  type Proc,
  procInfo,
  runCtl,
  type StartOptions,
  strayFds,
} from "./nitro.ts";
export { linesOf, readOr, sh, shq, unshareUnavailable } from "./common.ts";

/** Write `{ name: { file: content } }` trees; `#!` files are executable. */
export const writeTree: typeof writeServices = writeServices;

/** The real nitro as pid 1 of a PID + mount namespace. */
export type NsNitro = Nitro;

/** `NsNitro.create(services)`: `Nitro.create(services, { pid1: true })`. */
export const NsNitro = {
  create: (
    services: Parameters<typeof Nitro.create>[0] = {},
    opts: Omit<NitroOptions, "pid1"> = {},
  ): Promise<Nitro> => Nitro.create(services, { ...opts, pid1: true }),
};
