/**
 * Creating the control socket safely: a private directory (0700), a private
 * socket (0600), a stale socket from a crash replaced, and a live one —
 * another nitro — refused.
 *
 * @module
 */

import { dirname } from "node:path";

/** Another nitro answers on the socket. */
export class SocketInUse extends Error {}

/** Listen on `path`, as described above. Throws with a readable message. */
export async function listenControl(path: string): Promise<Deno.Listener> {
  const dir = dirname(path);
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`${path}: cannot create ${dir}: ${reason(err)}`);
  }
  if (await isLive(path)) {
    throw new SocketInUse(`another nitro is running on ${path}`);
  }
  try {
    Deno.removeSync(path);
  } catch {
    // No stale socket: the usual case.
  }
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (err) {
    throw new Error(`cannot listen on ${path}: ${reason(err)}`);
  }
  Deno.chmodSync(path, 0o600);
  return listener;
}

/** Whether something accepts connections on `path`. */
async function isLive(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
