/**
 * libc FFI as pid 1: the reboot call inside a child PID namespace, the
 * permission flag, and the refusals outside pid 1.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fixture, hostMounts, runAsPid1 } from "../init_fixtures/harness.ts";
import { skipWithoutNamespaces } from "../helpers/common.ts";
import { PERMISSIONS } from "../../ci/permissions.ts";
import { LIBC_PATHS } from "../../src/init/libc_paths.ts";
import { enterPid1, isPid1 } from "../../src/init/pid1.ts";

const skip = await skipWithoutNamespaces("init/libc_test");

Deno.test("nitro-init holds --allow-all (FFI is full access); libc is found", () => {
  const flags: readonly string[] = PERMISSIONS["nitro-init"];
  assert.deepEqual(flags.filter((f) => f.startsWith("--allow-")), [
    "--allow-all",
  ]);
  if (Deno.build.os === "linux") {
    assert.ok(
      LIBC_PATHS.some((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      }),
      "no LIBC_PATHS entry exists on this machine",
    );
  }
});

Deno.test("outside pid 1, libc.ts and enterPid1 refuse", async () => {
  assert.deepEqual(isPid1(), false);
  await assert.rejects(() => import("../../src/init/libc.ts"), /pid 1/);
  await assert.rejects(() => enterPid1(), /not pid 1/);
});

Deno.test("nothing in src/ imports libc.ts statically", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        // `import … from "…libc.ts"` or `export … from`, not import(...).
        if (
          /(?:^|\n)\s*(?:import|export)\b[^(]*?["'][^"']*\/libc\.ts["']/.test(
            text,
          )
        ) {
          offenders.push(path);
        }
      }
    }
  };
  await walk(new URL("../../src", import.meta.url).pathname);
  assert.deepEqual(offenders, []);
});

Deno.test("pid1.ts and libc.ts load no node: module (panics without /proc)", async () => {
  for (const name of ["pid1.ts", "libc.ts", "libc_paths.ts"]) {
    const url = new URL(`../../src/init/${name}`, import.meta.url);
    const text = await Deno.readTextFile(url);
    assert.doesNotMatch(text, /from\s+["']node:|import\(\s*["']node:/, name);
  }
});

Deno.test({
  name: "reboot(RB_POWER_OFF) in a PID namespace ends its init by SIGINT",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const sentinel = new Deno.Command("sleep", { args: ["60"] }).spawn();
    try {
      const run = await runAsPid1(fixture("reboot.ts"), ["poweroff"]);
      assert.ok(run.stdout.includes("calling reboot"), run.stderr);
      assert.deepEqual(run.result, null); // reboot did not return
      assert.deepEqual([run.signal, run.code], ["SIGINT", 130]);
      assert.deepEqual(hostMounts(), before);
      // The host side is untouched: our sentinel still lives.
      assert.deepEqual(await alive(sentinel.pid), true);
    } finally {
      sentinel.kill("SIGKILL");
      await sentinel.status;
    }
  },
});

Deno.test({
  name: "reboot(RB_AUTOBOOT) in a PID namespace ends its init by SIGHUP",
  ignore: skip !== null,
  fn: async () => {
    const run = await runAsPid1(fixture("reboot.ts"), ["autoboot"]);
    assert.ok(run.stdout.includes("calling reboot"), run.stderr);
    assert.deepEqual([run.signal, run.code], ["SIGHUP", 129]);
  },
});

Deno.test({
  name: "in a PID namespace, reboot(RB_DISABLE_CAD) fails: a container",
  ignore: skip !== null,
  fn: async () => {
    const run = await runAsPid1(fixture("reboot.ts"), ["probe"]);
    assert.deepEqual(run.code, 0, run.stderr);
    assert.deepEqual(run.result, {
      pid: 1,
      inInitPidNamespace: false,
      errno: 22, // EINVAL
    });
  },
});

/** Whether a host process still exists (signal 0 via `kill -0`). */
async function alive(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stderr: "null",
  }).output();
  return success;
}
