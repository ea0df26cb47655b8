/**
 * Running one SYS script (`setup`, `finish`, `final`, `fatal`) to its end,
 * with an optional time limit after which its process group is killed:
 * the one way nitro starts its own scripts.
 *
 * @module
 */

import { join } from "node:path";
import { SYS } from "../config/names.ts";
import { message } from "../errors.ts";
import { escapeControl } from "../core/text.ts";
import type { Host } from "./host.ts";
import type { Stream } from "./spawn.ts";

/** How to run a SYS script. */
export interface SysScriptRequest {
  /** The service directory (the script is `DIR/SYS/<script>`). */
  dir: string;
  script: string;
  args: string[];
  /** Kill the script's process group after this many ms; null: no limit. */
  limitMs: number | null;
  stdout: Stream;
  stderrInherit: boolean;
  /** Called with the pid once the script runs. */
  started?: (pid: number) => void;
}

/**
 * Run the script; `ended` gets its raw wait status, or null when it could
 * not be started (exec failed: said on the console, and `ended` is called
 * before this returns).
 */
export function runSysScript(
  host: Host,
  req: SysScriptRequest,
  ended: (wstatus: number | null) => void,
): void {
  // An error's text may quote a path or a shell's output: no control
  // character of it reaches the console raw.
  const say = (text: string) =>
    host.console.say(`- nitro: ${escapeControl(text)}`);
  let cancel = () => {};
  let pid: number;
  try {
    pid = host.processes.start({
      command: join(req.dir, SYS, req.script),
      args: req.args,
      cwd: join(req.dir, SYS),
      env: { ...host.env, NITRO_SERVICE: SYS },
      stdin: { kind: "null" },
      stdout: req.stdout,
      stderrInherit: req.stderrInherit,
      notifyFd: null,
    }, (wstatus) => {
      cancel();
      ended(wstatus);
    });
  } catch (err) {
    say(`${SYS}/${req.script}: ${message(err)}`);
    return ended(null);
  }
  req.started?.(pid);
  const limit = req.limitMs;
  if (limit !== null) {
    cancel = host.clock.after(limit, () => {
      say(`${SYS}/${req.script} ran over ${limit / 1000}s, killing it`);
      host.processes.signal(-pid, "SIGKILL");
    });
  }
}
