/**
 * Facts from nitro's own /proc entry. Deno refuses nitro `/proc/self` (and
 * `/dev/fd`) short of `--allow-all`, so a short-lived `/bin/sh` reads
 * `/proc/PID` from outside, asynchronously, and nitro reads its answer.
 *
 * @example Count nitro's open fds (the pipe of the answer among them)
 * ```ts ignore
 * import { probeSelf } from "./proc_probe.ts";
 * const text = await probeSelf('set -- /proc/"$1"/fd/*; echo "$#"', children);
 * ```
 *
 * @module
 */

import type { Children } from "./children.ts";

/**
 * Run the shell program `script` with nitro's pid as `$1`, in an empty
 * environment; resolve with what it printed, or null if it failed. The
 * shell is one of nitro's `children` (pid 1 must not reap it).
 */
export async function probeSelf(
  script: string,
  children: Children,
): Promise<string | null> {
  try {
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", script, "sh", `${Deno.pid}`],
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const status = children.track(child);
    const text = await new Response(child.stdout).text();
    return (await status) === 0 ? text : null;
  } catch {
    return null;
  }
}

/**
 * Number of nitro's open fds; -1 when it cannot be told. Counted by a
 * shell from outside, only when asked (`nitroctl info`).
 */
export async function openFds(children: Children): Promise<number> {
  const text = await probeSelf('set -- /proc/"$1"/fd/*; echo "$#"', children);
  const count = Number(text?.trim());
  // Less the pipe of the shell's answer, open in nitro meanwhile.
  return text !== null && Number.isInteger(count) ? count - 1 : -1;
}
