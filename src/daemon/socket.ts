/**
 * Creating the control socket safely, for a nitro that usually runs as root:
 * - its directory is created 0700 if missing, and, like every directory on
 *   the way to it, may not be replaceable by another user (runtime_dir.ts);
 *   a sticky world-writable directory such as /tmp is fine;
 * - what is already at the socket's path is removed only if it is a stale
 *   socket of nitro's uid (nobody answers); a live one means another nitro,
 *   and anything else (a file, a directory, a symlink) is refused, untouched;
 * - the socket is bound inside nitro's private runtime directory (0700),
 *   made 0600 there, and only then hard-linked to its path: no other user
 *   ever has a moment in which it could connect.
 *
 * @module
 */

import { message } from "../errors.ts";
import { basename, dirname, join } from "node:path";
import {
  BIND_NAME,
  type Entry,
  lstatEntry,
  ownUid,
  RuntimeDir,
  runtimeDirFor,
  secureDirectory,
  UnsafePath,
} from "./runtime_dir.ts";

/** What is found at the socket's path, for {@link staleSocketAction}. */
export interface FoundAtSocket {
  /** The entry there, or null: nothing. */
  entry: Entry | null;
  /** Whether something answers on it (only asked of sockets). */
  live: boolean;
  /** nitro's own uid. */
  uid: number;
}

/**
 * What to do with what is found at the socket's path before binding:
 * nothing (free), remove it (a stale socket of ours), or refuse (message).
 */
export function staleSocketAction(
  path: string,
  { entry, live, uid }: FoundAtSocket,
): "free" | "remove" | { refuse: string } {
  if (entry === null) return "free";
  if (entry.kind !== "socket") {
    return {
      refuse: `${path} exists and is a ${entry.kind}, not a socket; ` +
        "nitro removes only a stale socket of its own, so it leaves this alone",
    };
  }
  if (live) return { refuse: `another nitro is running on ${path}` };
  if (entry.uid !== uid) {
    return {
      refuse: `${path} is a stale socket owned by uid ${entry.uid}, ` +
        `not nitro's uid ${uid}; not removing it`,
    };
  }
  return "remove";
}

/** nitro's control socket, listening, and its runtime directory. */
export interface ControlSocket {
  listener: Deno.Listener;
  /** `<socket>.d`, opened (and cleaned) once: the log FIFOs live there. */
  runtime: RuntimeDir;
}

/**
 * Listen on `path`, as described above, after making nitro's runtime
 * directory (`<path>.d`, emptied of nitro's leftover FIFOs). Throws with a
 * readable message naming the path and the reason.
 */
export async function listenControl(path: string): Promise<ControlSocket> {
  const uid = ownUid();
  let sock: string;
  try {
    // The real directory: no symlink on the way can be swapped later.
    sock = join(secureDirectory(dirname(path), uid), basename(path));
  } catch (err) {
    throw new UnsafePath(`socket ${path}: ${message(err)}`);
  }
  const entry = lstatEntry(sock);
  const live = entry?.kind === "socket" && await isLive(sock);
  const action = staleSocketAction(sock, { entry, live, uid });
  if (typeof action === "object") throw new UnsafePath(action.refuse);
  if (action === "remove") Deno.removeSync(sock);

  const runtime = RuntimeDir.open(runtimeDirFor(sock), uid);
  const bound = join(runtime.path, BIND_NAME);
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ transport: "unix", path: bound });
  } catch (err) {
    throw new Error(`cannot listen on ${bound}: ${message(err)}`);
  }
  try {
    // Only nitro can reach `bound` (0700 directory): the mode is set before
    // the socket becomes reachable through `sock`.
    Deno.chmodSync(bound, 0o600);
    // link(2) never replaces: whatever appeared meanwhile stays untouched.
    Deno.linkSync(bound, sock);
  } catch (err) {
    listener.close();
    throw new Error(`cannot create socket ${sock}: ${message(err)}`);
  } finally {
    Deno.removeSync(bound);
  }
  return { listener, runtime };
}

/**
 * Whether something listens on `path`. Only a refused connection means a
 * stale socket: C nitro's socket is a datagram one, which a stream connect
 * finds alive but of the wrong type (EPROTOTYPE), and must not be removed.
 */
async function isLive(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.ConnectionRefused ||
      err instanceof Deno.errors.NotFound);
  }
}
