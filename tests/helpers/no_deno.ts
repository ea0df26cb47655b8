/**
 * A PATH with no `deno` on it, as on a machine where Deno came from npx:
 * one directory holding links to every program of `/usr/bin` and `/bin`
 * but `deno`. The tests of `deno task install` and of the demo run their
 * launchers with it.
 *
 * @module
 */

import { join } from "node:path";

/**
 * Make `dir` (created) hold links to the programs of `/usr/bin` and
 * `/bin`, except `deno`, and return it as a one-entry PATH. Throws if
 * `deno` is still found on it, so a test using it cannot pass by accident.
 */
export async function pathWithoutDeno(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const seen = new Set(["deno"]);
  for (const from of ["/usr/bin", "/bin"]) {
    for await (const entry of Deno.readDir(from)) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      await Deno.symlink(join(from, entry.name), join(dir, entry.name));
    }
  }
  const found = await new Deno.Command("/bin/sh", {
    args: ["-c", "command -v deno"],
    env: { PATH: dir },
    clearEnv: true,
    stdout: "null",
  }).output();
  if (found.code === 0) throw new Error(`deno is on PATH=${dir}`);
  return dir;
}
