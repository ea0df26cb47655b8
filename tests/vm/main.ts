/**
 * `deno task vmtest`: boot a real Linux kernel under QEMU (TCG) with this
 * project's installed `nitro` launcher as pid 1 (`rdinit=`), and check from
 * the serial console what it does: boot, services, orphans, logging,
 * `nitroctl Shutdown` (real power-off), `nitroctl Reboot` and Ctrl-Alt-Del
 * (real reboot), single-user mode and `SYS/fatal`. Four boots.
 *
 * Needs root: installs `qemu-system-x86 busybox-static cpio` when missing
 * and fetches a Debian kernel into the cache directory (see ./inputs.ts).
 * Prints one line per check and ends with `vmtest: N passed, N failed`;
 * exits 0 only if all passed, 1 if a check failed, 2 if the inputs could
 * not be had (the message says why). Each boot's console is kept in
 * `<cache>/last-run/`.
 *
 * ```sh
 * deno task vmtest                 # all boots
 * deno task vmtest shutdown fatal  # only these boots
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { LAUNCHER_MARK } from "../../ci/build.ts";
import {
  type BootRecord,
  type Check,
  checkFatalBoot,
  checkRebootBoot,
  checkShutdownBoot,
  checkSingleCadBoot,
  type ConsoleLine,
  END_LIMIT_MS,
} from "./checks.ts";
import {
  cacheDir,
  ensureHostPackages,
  ensureKernel,
  InputError,
} from "./inputs.ts";
import { buildInitramfs, GUEST } from "./initramfs.ts";
import { boot, killRunning } from "./qemu.ts";

/** Kill QEMU if a boot has not ended after this long. */
const BOOT_DEADLINE_MS = 600_000;

/** The guest's marker after which the machine must end soon. */
const END_MARKER: Record<BootName, string> = {
  shutdown: "VMTEST action Shutdown",
  reboot: "VMTEST action Reboot",
  single: "VMTEST ready-for-cad",
  fatal: "VMTEST sys-fatal ran",
};

/** The socket path that cannot be created, for the fatal boot. */
const BAD_SOCK = "/etc/vmtest-not-a-dir/nitro.sock";

/** The boots, in the order they run. */
export const BOOTS = ["shutdown", "reboot", "single", "fatal"] as const;
type BootName = typeof BOOTS[number];

/** Kernel command line of one boot. Pure. */
export function kernelCommandLine(name: BootName): string {
  const base = `console=ttyS0 panic=-1 rdinit=${GUEST.nitro}`;
  switch (name) {
    case "shutdown":
    case "reboot":
      return `${base} VMTEST=${name}`;
    case "single":
      return `${base} VMTEST=single S`;
    case "fatal":
      return `${base} VMTEST=fatal NITRO_SOCK=${BAD_SOCK}`;
  }
}

/** The words the launcher execs, without `exec` and `"$@"`. Pure. */
export function launcherCommand(text: string): string | null {
  const line = text.split("\n").find((l) => l.startsWith("exec "));
  if (!line) return null;
  return line.slice(5).replace(/\s*"\$@"\s*$/, "").replace(/'/g, "");
}

function report(checks: Check[]): { passed: number; failed: number } {
  let passed = 0, failed = 0;
  for (const c of checks) {
    if (c.ok) {
      passed++;
      console.log(`ok    ${c.name}`);
    } else {
      failed++;
      console.log(
        `FAIL  ${c.name}${
          c.detail ? `\n      ${c.detail.replaceAll("\n", "\n      ")}` : ""
        }`,
      );
    }
  }
  return { passed, failed };
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !(BOOTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(
      `vmtest: unknown boot ${unknown.join(", ")}; boots: ${BOOTS.join(" ")}`,
    );
    return 2;
  }
  const boots = args.length > 0 ? args as BootName[] : [...BOOTS];

  let kernel: string, cache: string;
  try {
    cache = cacheDir({
      NITRO_VMTEST_CACHE: Deno.env.get("NITRO_VMTEST_CACHE"),
      XDG_CACHE_HOME: Deno.env.get("XDG_CACHE_HOME"),
      HOME: Deno.env.get("HOME"),
    });
    await ensureHostPackages();
    kernel = await ensureKernel(cache);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    console.error(`vmtest: cannot get the inputs: ${err.message}`);
    console.log("vmtest: 0 passed, 1 failed");
    return 2;
  }
  console.log(`vmtest: kernel ${kernel}`);

  const work = await Deno.makeTempDir({ prefix: "nitro-vmtest-" });
  // Interrupted: no QEMU and no temporary files left behind.
  const interrupted = () => {
    killRunning();
    try {
      Deno.removeSync(work, { recursive: true });
    } catch {
      // Partly gone already.
    }
    Deno.exit(130);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, interrupted);
  }
  const logs = join(cache, "last-run");
  await Deno.remove(logs, { recursive: true }).catch(() => {});
  await Deno.mkdir(logs, { recursive: true });
  let passed = 0, failed = 0;
  try {
    const tree = join(work, "tree");
    const initrd = join(work, "initrd.cpio");
    try {
      await buildInitramfs(tree, initrd);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      console.error(`vmtest: cannot build the initramfs: ${err.message}`);
      console.log("vmtest: 0 passed, 1 failed");
      return 2;
    }
    const launcher = await Deno.readTextFile(join(tree, GUEST.nitro));
    const own = report([{
      name: "rdinit is the launcher written by deno task install",
      ok: launcher.includes(LAUNCHER_MARK),
      detail: launcher.split("\n").slice(0, 2).join("\n"),
    }]);
    passed += own.passed;
    failed += own.failed;
    await Deno.remove(tree, { recursive: true });

    for (const name of boots) {
      console.log(`vmtest: booting (${name}): ${kernelCommandLine(name)}`);
      let cadSent = false;
      const result = await boot({
        kernel,
        initrd,
        append: kernelCommandLine(name),
        workDir: work,
        timeoutMs: BOOT_DEADLINE_MS,
        endAfter: { marker: END_MARKER[name], ms: END_LIMIT_MS + 10_000 },
        onLine: (line, b) => {
          if (
            name === "single" && !cadSent &&
            line.includes("VMTEST ready-for-cad")
          ) {
            cadSent = true;
            b.monitor("sendkey ctrl-alt-delete").catch((err) => {
              console.error(`vmtest: monitor: ${err.message}`);
            });
          }
        },
      });
      const log = join(logs, `${name}.log`);
      await Deno.writeTextFile(
        log,
        result.console.map((l) =>
          `${(l.ms / 1000).toFixed(1).padStart(6)} ${l.text}`
        ).join("\n") +
          `\n--- qemu ${
            result.exited ? `exited (${result.code})` : "killed"
          } after ${result.ms} ms\n${result.stderr}`,
      );
      const record: BootRecord = {
        console: result.console as ConsoleLine[],
        exited: result.exited,
        endMs: result.ms,
      };
      const launcherExec = launcherCommand(launcher) ?? "(no exec line)";
      const checks = name === "shutdown"
        ? checkShutdownBoot(record, launcherExec)
        : name === "reboot"
        ? checkRebootBoot(record)
        : name === "single"
        ? checkSingleCadBoot(record, cadSent)
        : checkFatalBoot(record, BAD_SOCK);
      const r = report(checks);
      passed += r.passed;
      failed += r.failed;
      console.log(
        `vmtest: ${name} boot took ${Math.round(result.ms / 1000)} s` +
          (r.failed > 0 ? `; console in ${log}` : ""),
      );
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  console.log(`vmtest: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
