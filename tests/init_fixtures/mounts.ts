/**
 * Fixture, run as pid 1 of a mount namespace: `enterPid1()` twice (the
 * second must find nothing to do), load a `node:` module (which needs
 * /proc), then report the namespace's mounts of /proc, /dev and /run and
 * the mode of /run. Imports no `node:` module statically.
 *
 * @module
 */

import { report } from "./harness.ts";
import { enterPid1 } from "../../src/init/pid1.ts";

const first = await enterPid1();
const second = await enterPid1();
// Loading a node: module needs /proc (Deno panics otherwise): fine now.
const { platform } = await import("node:os");
// Read our mount table with a child: Deno wants --allow-all for /proc.
const out = await new Deno.Command("cat", { args: ["/proc/self/mountinfo"] })
  .output();
const fstypes: Record<string, string> = {};
for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
  // "id parent maj:min root mountpoint opts [optional...] - fstype src opts"
  const [left, right] = line.split(" - ");
  const mountPoint = left?.split(" ")[4];
  if (["/proc", "/dev", "/run"].includes(mountPoint)) {
    fstypes[mountPoint] = right.split(" ")[0];
  }
}
report({
  container: first.container,
  mounted: first.mounted,
  warnings: first.warnings,
  secondMounted: second.mounted,
  fstypes,
  runMode: (Deno.statSync("/run").mode! & 0o7777).toString(8),
  devNull: Deno.statSync("/dev/null").isCharDevice,
  node: platform(),
});
