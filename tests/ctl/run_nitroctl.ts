/**
 * Run nitroctl (through `deno run`, with the permissions it is installed
 * with) against a socket, for the tests of tests/ctl/.
 *
 * @module
 */

import { PERMISSIONS } from "../../ci/permissions.ts";
import { REPO_ROOT } from "../helpers/common.ts";

const CLI = `${REPO_ROOT}cli/nitroctl.ts`;
const decoder = new TextDecoder();

/** What a run of nitroctl did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run nitroctl with `args` talking to `sock`; killed after 30 s. */
export async function nitroctl(sock: string, args: string[]): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS.nitroctl, CLI, ...args],
    env: { NITRO_SOCK: sock, NITRO_SERVICE: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
