/**
 * Running one SYS script (`SYS/setup`, `SYS/finish`, `SYS/final`) to its
 * end, with an optional time limit after which its process group is killed.
 *
 * @module
 */

import { join } from "node:path";
import { type SpawnRequest, spawnScript } from "./spawn.ts";
import { kill } from "./kill.ts";

/** How to run a SYS script. */
export interface SysScriptRequest {
  /** The service directory (the script is `DIR/SYS/<script>`). */
  dir: string;
  script: string;
  args: string[];
  /** Kill the script's process group after this many ms; null: no limit. */
  limitMs: number | null;
  env: Record<string, string>;
  stdout: SpawnRequest["stdout"];
  stderrInherit: boolean;
  /** Called with the pid once the script runs. */
  started: (pid: number) => void;
  /** Prints one line for the operator. */
  say: (text: string) => void;
}

/**
 * Run the script; resolves with its raw wait status, or null when it could
 * not be started (it is missing, or exec failed: said on the console).
 */
export async function runSysScript(
  req: SysScriptRequest,
): Promise<number | null> {
  const path = join(req.dir, "SYS", req.script);
  let spawned;
  try {
    spawned = spawnScript({
      command: path,
      args: req.args,
      cwd: join(req.dir, "SYS"),
      env: { ...req.env, NITRO_SERVICE: "SYS" },
      stdin: { kind: "null" },
      stdout: req.stdout,
      stderrInherit: req.stderrInherit,
      notifyFd: null,
    });
  } catch (err) {
    req.say(`SYS/${req.script}: ${(err as Error).message}`);
    return null;
  }
  req.started(spawned.pid);
  const limit = req.limitMs;
  const timer = limit === null ? undefined : setTimeout(() => {
    req.say(`SYS/${req.script} ran over ${limit / 1000}s, killing it`);
    kill(-spawned.pid, "SIGKILL");
  }, limit);
  try {
    return await spawned.exited;
  } finally {
    clearTimeout(timer);
  }
}
