/**
 * Whom the socket belongs to. A socket in a shared directory (`/tmp`) may
 * have been put there by another local user: what it answers is theirs to
 * choose, and a root nitroctl would carry out and print it.
 *
 * @module
 */

import { NitroError } from "../client.ts";

/** What nitroctl does about a socket owned by `owner`, being `self`. */
export type OwnerVerdict =
  | { kind: "ok" }
  | { kind: "warn"; message: string }
  | { kind: "refuse"; message: string };

/**
 * The verdict for a socket at `path` owned by uid `owner`, for a nitroctl
 * running as uid `self`: root's and one's own are fine; another user's is
 * warned about, and refused to root unless `force`.
 *
 * @example
 * ```ts
 * import { ownerVerdict } from "./socket_owner.ts";
 * console.assert(ownerVerdict("/tmp/s", 1002, 0, false).kind === "refuse");
 * console.assert(ownerVerdict("/tmp/s", 1002, 0, true).kind === "warn");
 * console.assert(ownerVerdict("/run/nitro.sock", 0, 1000, false).kind === "ok");
 * ```
 */
export function ownerVerdict(
  path: string,
  owner: number,
  self: number,
  force: boolean,
): OwnerVerdict {
  if (owner === 0 || owner === self) return { kind: "ok" };
  const whose = `socket ${path} belongs to uid ${owner}`;
  if (self === 0 && !force) {
    return {
      kind: "refuse",
      message: `${whose}, not root: refusing to talk to it as root ` +
        `(--force to do it anyway)`,
    };
  }
  return { kind: "warn", message: `warning: ${whose}` };
}

/**
 * Check the socket at `path` before talking to it: warn on `warn`, throw a
 * {@link NitroError} (`unreachable`) when refused. A socket that cannot be
 * looked at is left to the connection to report.
 */
export function checkSocketOwner(
  path: string,
  force: boolean,
  warn: (line: string) => void,
): void {
  let owner: number | null;
  let self: number | null;
  try {
    owner = Deno.statSync(path).uid;
    self = Deno.uid();
  } catch {
    return;
  }
  if (owner === null || self === null) return;
  const verdict = ownerVerdict(path, owner, self, force);
  if (verdict.kind === "warn") warn(`nitroctl: ${verdict.message}`);
  if (verdict.kind === "refuse") {
    throw new NitroError("unreachable", verdict.message);
  }
}
