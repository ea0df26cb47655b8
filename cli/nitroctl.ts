/**
 * `nitroctl`: control a running nitro.
 *
 * ```sh
 * nitroctl [-t SECONDS] [-v] [--json] COMMAND [SERVICE...]
 * ```
 *
 * Needs only the permissions of `ci/permissions.ts` (`--unstable-net` for
 * C nitro's datagram socket).
 *
 * @module
 */

import { main } from "../src/ctl/main.ts";

let status: number;
try {
  status = await main(Deno.args);
} catch (error) {
  // A bug, not a user error: still one line, never a stack trace.
  try {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`nitroctl: internal error: ${message}`);
  } catch {
    // stderr is gone too.
  }
  status = 111;
}
Deno.exit(status);
