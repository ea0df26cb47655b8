/**
 * Fixture, run as pid 1: `killAll()` at shutdown.
 *
 * `stubborn`: a child of ours ignores SIGTERM (and so do its children),
 * an orphan sleeps; killAll must SIGKILL after the grace period.
 * `polite`: everything exits on SIGTERM; killAll returns well before it.
 *
 * @module
 */

import { report } from "./harness.ts";
import { enterPid1 } from "../../src/init/pid1.ts";

const libc = await import("../../src/init/libc.ts");
const pid1 = await enterPid1();
const [mode, grace] = [Deno.args[0], Number(Deno.args[1])];

const running = new Set<number>();
const isOurs = (pid: number) => running.has(pid);
function spawn(script: string, stdout: "piped" | "null" = "null") {
  const child = new Deno.Command("sh", { args: ["-c", script], stdout })
    .spawn();
  running.add(child.pid);
  child.status.finally(() => running.delete(child.pid));
  return child;
}

pid1.watchOrphans(isOurs);
const main = spawn(
  mode === "stubborn"
    ? "trap '' TERM; sleep 1000 & echo ready; wait; wait; wait"
    : "sleep 1000 & echo ready; wait",
  "piped",
);
const children = [main, spawn("exec sleep 1000")];
spawn("sleep 1000 & exit 0"); // leaves an orphan sleeping
// The trap is set once the shell says so.
const { value } = await main.stdout.getReader().read();
const trapSet = new TextDecoder().decode(value) === "ready\n";

// Armed just before killAll's own deadline: due first, so it has fired by
// the time killAll returns after the grace, and not if it returned before.
let graceOver = false;
const timer = setTimeout(() => graceOver = true, grace);
// What killAll says, as the console would show it.
let said = "";
await pid1.killAll(isOurs, grace, {
  say: (text) => said += `${text}\n`,
  write: (text) => said += text,
  flush: () => Promise.resolve(),
});
clearTimeout(timer);
const statuses = await Promise.all(children.map((c) => c.status));
report({
  trapSet,
  graceOver,
  signals: statuses.map((s) => s.signal),
  nobodyLeft: libc.kill(-1, 0) === libc.ESRCH,
  said,
  proc: [...Deno.readDirSync("/proc")].map((e) => e.name).filter((n) =>
    /^\d+$/.test(n)
  ),
});
