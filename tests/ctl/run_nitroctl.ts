/**
 * Run nitroctl (through `deno run`, with the permissions it is installed
 * with) against a socket, for the tests of tests/ctl/.
 *
 * @module
 */

import { PERMISSIONS } from "../../ci/permissions.ts";
import {
  type CommandResult,
  REPO_ROOT,
  runCommand,
} from "../helpers/common.ts";

const CLI = `${REPO_ROOT}cli/nitroctl.ts`;

/** What a run of nitroctl did. */
export type Run = CommandResult;

/** Run nitroctl with `args` talking to `sock`; killed after 30 s. */
export function nitroctl(sock: string, args: string[]): Promise<Run> {
  return runCommand(Deno.execPath(), {
    args: ["run", ...PERMISSIONS.nitroctl, CLI, ...args],
    env: { NITRO_SOCK: sock, NITRO_SERVICE: "" },
    killAfterMs: 30_000,
  });
}
