/**
 * A real unprivileged local user for tests that replay what another user on
 * the machine could do: `nitro-test`, made with `useradd` if missing and
 * left in place (tests run in parallel, so none may remove it).
 *
 * @module
 */

import { type CommandResult, runCommand } from "./common.ts";
import { eventually } from "./nitro.ts";

/** The test user's name. */
export const TEST_USER = "nitro-test";

function run(cmd: string, args: string[]): Promise<CommandResult> {
  return runCommand(cmd, { args });
}

/**
 * The uid of the test user, made if missing; a string saying why not (not
 * root, useradd failed) for the test to skip with. Parallel test files may
 * race to make it: useradd then says it exists (9) or that /etc/passwd is
 * locked (10); either way, look again.
 */
export async function testUser(): Promise<number | string> {
  if (Deno.uid() !== 0) return "needs root";
  let uid = -1;
  try {
    await eventually(
      async () => {
        const id = await run("id", ["-u", TEST_USER]);
        if (id.code === 0) {
          uid = Number(id.stdout.trim());
          return true;
        }
        const add = await run("useradd", [
          "--system",
          "--no-create-home",
          "--shell",
          "/usr/sbin/nologin",
          TEST_USER,
        ]);
        if (![0, 9, 10].includes(add.code)) throw new Error(add.stderr);
        return false;
      },
      20_000,
      `user ${TEST_USER}`,
    );
  } catch (err) {
    return `cannot make user ${TEST_USER}: ${(err as Error).message}`;
  }
  return uid;
}

/** Run `argv` as the test user. */
export function asTestUser(...argv: string[]): Promise<CommandResult> {
  return run("runuser", ["-u", TEST_USER, "--", ...argv]);
}
