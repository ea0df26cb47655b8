/**
 * Facts from nitro's own /proc entry. Deno refuses nitro `/proc/self` (and
 * `/dev/fd`) short of `--allow-all`, so a short-lived `/bin/sh` reads
 * `/proc/PID` from outside, asynchronously, and nitro reads its answer.
 *
 * @example Count nitro's open fds (the pipe of the answer among them)
 * ```ts ignore
 * import { probeSelf } from "./proc_probe.ts";
 * const text = await probeSelf('set -- /proc/"$1"/fd/*; echo "$#"');
 * ```
 *
 * @module
 */

import { track } from "./children.ts";

/**
 * Run the shell program `script` with nitro's pid as `$1`, in an empty
 * environment; resolve with what it printed, or null if it failed.
 */
export async function probeSelf(script: string): Promise<string | null> {
  try {
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", script, "sh", `${Deno.pid}`],
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const status = track(child);
    const text = await new Response(child.stdout).text();
    return (await status) === 0 ? text : null;
  } catch {
    return null;
  }
}
