/**
 * Fixture, run as pid 1 of a PID namespace.
 *
 * `reincarnate`: a failing exec throws and leaves us running; then exec a
 * shell that reports its pid, an inherited variable, whether SIGPIPE is
 * ignored, and the parent of a child we started (still us, pid 1).
 *
 * `finish DIR`: `finish()` refuses in a container; MS_REMOUNT|MS_RDONLY
 * works on a tmpfs we mount on DIR (namespace-private, never `/`).
 *
 * @module
 */

import { report } from "./harness.ts";
import { enterPid1 } from "../../src/init/pid1.ts";

const libc = await import("../../src/init/libc.ts");
const pid1 = await enterPid1();

function message(f: () => unknown): string {
  try {
    f();
    return "returned";
  } catch (e) {
    return (e as Error).message;
  }
}

if (Deno.args[0] === "reincarnate") {
  const failed = message(() => pid1.reincarnate("/nonexistent/init", []));
  console.log(`failed: ${failed}`);
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  // SigIgn bit 13 (0x1000) is SIGPIPE.
  const script = `
    ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status)
    ppid=$(cut -d' ' -f4 /proc/$1/stat)
    printf 'RESULT {"pid":%s,"var":"%s","args":"%s","sigIgn":"%s","sleeperParent":%s}\\n' \\
      $$ "$NITRO_TEST_VAR" "$2|$3" "$ign" "$ppid"
    exit 3`;
  pid1.reincarnate("/bin/sh", [
    "-c",
    script,
    "sh",
    `${sleeper.pid}`,
    "a b",
    "c",
  ]);
} else {
  const dir = Deno.args[1];
  const refused = await pid1.finish("shutdown").then(
    () => "finished",
    (e) => (e as Error).message,
  );
  libc.mount("nitro-test", dir, "tmpfs", libc.MS_NOSUID | libc.MS_NODEV);
  Deno.writeTextFileSync(`${dir}/before`, "ok");
  libc.mount(null, dir, null, libc.MS_REMOUNT | libc.MS_RDONLY);
  const write = message(() => Deno.writeTextFileSync(`${dir}/after`, "no"));
  report({ refused, write, before: Deno.readTextFileSync(`${dir}/before`) });
}
