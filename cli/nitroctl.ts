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
import { EXIT } from "../src/ctl/exit.ts";
import { message } from "../src/errors.ts";

let status: number;
try {
  status = await main(Deno.args);
} catch (error) {
  // A bug, not a user error: still one line, never a stack trace.
  try {
    console.error(`nitroctl: internal error: ${message(error)}`);
  } catch {
    // stderr is gone too.
  }
  status = EXIT.unavailable;
}
Deno.exit(status);
