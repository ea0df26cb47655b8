/**
 * The unprivileged user `nitro-test` of multi-user tests, made with
 * `useradd` if missing and left in place: test files run in parallel, so
 * none may remove it. Act as it with `runuser -u nitro-test --`.
 *
 * @module
 */

import { eventually } from "./nitro.ts";
import { type CommandResult, runCommand } from "./common.ts";

/** Its name. */
export const TEST_USER = "nitro-test";

/**
 * The uid of the test user, made if missing; a string says why there is
 * none (not root). Parallel test files may race to make it: useradd then
 * says it exists (9) or that /etc/passwd is locked (10); either way, look
 * again.
 */
export async function testUser(): Promise<number | string> {
  if (Deno.uid() !== 0) return "needs root";
  let uid = -1;
  try {
    await eventually(
      async () => {
        const id = await runCommand("id", { args: ["-u", TEST_USER] });
        if (id.code === 0) {
          uid = Number(id.stdout.trim());
          return true;
        }
        const add = await runCommand("useradd", {
          args: [
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            TEST_USER,
          ],
        });
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
  return runCommand("runuser", { args: ["-u", TEST_USER, "--", ...argv] });
}
