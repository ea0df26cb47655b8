/**
 * Fixture, run as pid 1 of a PID namespace: call libc's reboot.
 * `poweroff` / `autoboot`: the kernel ends this namespace (SIGINT / SIGHUP).
 * `probe`: report what a container sees (reboot(RB_DISABLE_CAD) fails).
 *
 * @module
 */

import { report } from "./harness.ts";

const libc = await import("../../src/init/libc.ts");
const mode = Deno.args[0];
if (mode === "probe") {
  const ok = libc.inInitPidNamespace();
  const errno = libc.errno(); // At once: anything in between may reset it.
  report({ pid: libc.getpid(), inInitPidNamespace: ok, errno });
} else {
  console.log("calling reboot");
  libc.reboot(mode === "poweroff" ? libc.RB_POWER_OFF : libc.RB_AUTOBOOT);
  report({ returned: true }); // not reached
}
