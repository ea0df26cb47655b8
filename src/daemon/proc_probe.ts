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
 * Run the shell program `script` with `args` as `$1`…, in an empty
 * environment; resolve with what it printed and its wait status, or null if
 * it could not run. The shell is one of nitro's `children` (pid 1 must not
 * reap it).
 */
export async function probeProc(
  script: string,
  args: readonly string[],
  children: Children,
): Promise<{ text: string; wstatus: number } | null> {
  try {
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", script, "sh", ...args],
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const status = children.track(child);
    // End of input tells the script that spawning is over here: what nitro
    // held open only while it started the shell is closed by then.
    await child.stdin.close();
    const text = await new Response(child.stdout).text();
    return { text, wstatus: await status };
  } catch {
    return null;
  }
}

/**
 * Run the shell program `script` with nitro's pid as `$1`; resolve with
 * what it printed, or null if it failed.
 */
export async function probeSelf(
  script: string,
  children: Children,
): Promise<string | null> {
  const answer = await probeProc(script, [`${Deno.pid}`], children);
  return answer?.wstatus === 0 ? answer.text : null;
}

/**
 * Number of nitro's open fds; -1 when it cannot be told. Counted by a
 * shell from outside, only when asked (`nitroctl info`).
 */
export async function openFds(children: Children): Promise<number> {
  const text = await probeSelf(
    'read -r _; set -- /proc/"$1"/fd/*; echo "$#"',
    children,
  );
  const count = Number(text?.trim());
  // Less the pipe of the shell's answer, open in nitro meanwhile.
  return text !== null && Number.isInteger(count) ? count - 1 : -1;
}
