/**
 * Fixture, run as pid 1: orphans are reaped on SIGCHLD while the statuses
 * of our own `Deno.Command` children still arrive intact.
 *
 * A shell (our child) double-forks 100 short-lived orphans; meanwhile 20
 * `Deno.Command` and 10 `node:child_process` children of ours exit with
 * known codes. Reports how many orphans were
 * reaped, the children's exit codes, and the zombies left at the end.
 * With `noproc` (run where there is no /proc) only the orphans, and no
 * `node:` import: Deno would panic on it without /proc.
 *
 * @module
 */

import { report } from "./harness.ts";
import { enterPid1 } from "../../src/init/pid1.ts";

const libc = await import("../../src/init/libc.ts");
const pid1 = await enterPid1();

/** Pids of our Deno.Command children whose status has not settled. */
const running = new Set<number>();
function spawn(script: string): Deno.ChildProcess {
  const child = new Deno.Command("sh", { args: ["-c", script] }).spawn();
  running.add(child.pid); // same synchronous turn as spawn()
  child.status.finally(() => running.delete(child.pid));
  return child;
}

let reaped = 0;
const allReaped = Promise.withResolvers<void>();
const stop = pid1.watchOrphans((pid) => running.has(pid), (n) => {
  reaped += n;
  if (reaped >= 100) allReaped.resolve();
});

// `(cmd &)`: the subshell exits at once, so cmd is re-parented to us.
const orphans = spawn(
  "i=0; while [ $i -lt 100 ]; do " +
    "if [ $((i % 2)) = 0 ]; then (sleep 0.05 &); else (true &); fi; " +
    "i=$((i + 1)); done; exit 3",
);
const noProc = Deno.args[0] === "noproc";
const ours = Array.from(
  { length: noProc ? 0 : 20 },
  (_, i) => spawn(`exit ${i + 7}`),
);
const slow = spawn(noProc ? "exit 7" : "sleep 0.3; exit 7");
// The daemon spawns with node:child_process, which Deno also reaps by pid.
const nodeCodes = noProc ? [] : await nodeChildren(10);

const codes = (await Promise.all(ours.map((c) => c.status))).map((s) => s.code);
const orphanShell = (await orphans.status).code;
const slowCode = (await slow.status).code;
const timeout = setTimeout(() => allReaped.resolve(), 5000);
await allReaped.promise;
clearTimeout(timeout);
stop();

// Whatever is left in our process table besides us.
const others: string[] = [];
for (const { name } of noProc ? [] : Deno.readDirSync("/proc")) {
  if (/^\d+$/.test(name) && name !== "1") {
    try {
      others.push(Deno.readTextFileSync(`/proc/${name}/stat`).trim());
    } catch { /* gone */ }
  }
}
report({
  reaped,
  codes,
  nodeCodes,
  orphanShell,
  slowCode,
  others,
  running: running.size,
  nobodyLeft: libc.kill(-1, 0) === libc.ESRCH, // zombies count for kill()
  warnings: pid1.warnings,
});

/** Exit codes of `n` node:child_process children exiting with 40, 41, … */
async function nodeChildren(n: number): Promise<(number | null)[]> {
  const { spawn: nodeSpawn } = await import("node:child_process");
  return Promise.all(Array.from({ length: n }, (_, i) => {
    const child = nodeSpawn("sh", ["-c", `exit ${40 + i}`]);
    running.add(child.pid!); // same turn as spawn, as with Deno.Command
    return new Promise<number | null>((resolve) =>
      child.on("exit", (code) => {
        running.delete(child.pid!);
        resolve(code);
      })
    );
  }));
}
