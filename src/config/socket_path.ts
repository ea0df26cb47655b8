/**
 * Where the control socket lives: $NITRO_SOCK, else the target of the
 * /etc/nitro.sock symlink, else /run/nitro/nitro.sock.
 *
 * @module
 */

/** Directory of the socket on Linux when nothing else is configured. */
const LINUX_DEFAULT = "/run/nitro/nitro.sock";
/** Elsewhere (FreeBSD). */
const BSD_DEFAULT = "/var/run/nitro/nitro.sock";
/** A symlink whose target names the socket. */
const SOCKET_LINK = "/etc/nitro.sock";

/**
 * Resolve the control socket path: `$NITRO_SOCK` if set and non-empty, else
 * the target of the `/etc/nitro.sock` symlink if it exists, else
 * `/run/nitro/nitro.sock` on Linux (`/var/run/nitro/nitro.sock` elsewhere).
 *
 * @example
 * ```ts
 * import { socketPath } from "./socket_path.ts";
 * const path = socketPath({ NITRO_SOCK: "/tmp/n.sock" }); // "/tmp/n.sock"
 * ```
 */
export function socketPath(
  env: Record<string, string | undefined> = safeEnv(),
  os: string = Deno.build.os,
): string {
  const fromEnv = env.NITRO_SOCK;
  if (fromEnv) return fromEnv;
  try {
    return Deno.readLinkSync(SOCKET_LINK);
  } catch {
    // No link (or not allowed to read it): fall through to the default.
  }
  return os === "linux" ? LINUX_DEFAULT : BSD_DEFAULT;
}

/** The environment, or an empty one where reading it is not permitted. */
function safeEnv(): Record<string, string | undefined> {
  try {
    return { NITRO_SOCK: Deno.env.get("NITRO_SOCK") };
  } catch {
    return {};
  }
}
