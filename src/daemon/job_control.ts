/**
 * No write to a terminal may stop nitro.
 *
 * When nitro runs as a background job of a shell (`nitro ~/services &`),
 * its stderr is its controlling terminal but not in the foreground, and any
 * service may set TOSTOP on that terminal (`stty tostop <&2`): from then on
 * the kernel answers nitro's next write there with SIGTTOU, whose default
 * action stops the whole process, and with it supervision and the control
 * socket. SIGTTIN does the same for a read.
 *
 * Two defences:
 * - nitro handles SIGTTOU and SIGTTIN, so neither ever stops it. Handled
 *   (unlike ignored) dispositions are reset by exec: every service still
 *   starts with the default ones. But a handled SIGTTOU does not let the
 *   write through: the kernel restarts it and signals again, for as long as
 *   the terminal refuses it (a thread busy, and the console's queue held).
 * - so when stderr is nitro's controlling terminal, nitro's console lines
 *   go through a *relay*: `cat` in a session of its own, started once, that
 *   writes them to the terminal. A process without a controlling terminal
 *   is not subject to job control, and nitro only writes into a pipe. If
 *   the relay ends, lines go straight to stderr again.
 *
 * @module
 */

import { isExecutable } from "../config/scan.ts";
import type { Children } from "./children.ts";
import { probeSelf } from "./proc_probe.ts";
import type { Writer } from "./thread_reserve.ts";

/** The job-control signals of a terminal. */
const JOB_CONTROL_SIGNALS = ["SIGTTOU", "SIGTTIN"] as const;

/** Handle SIGTTOU and SIGTTIN for as long as nitro runs. */
export function ignoreJobControlStops(): void {
  for (const signal of JOB_CONTROL_SIGNALS) {
    Deno.addSignalListener(signal, () => {});
  }
}

/** Prints "TTY_NR" of process $1 (0: no controlling terminal). */
const CONTROLLING_TTY = 'read -r s < /proc/"$1"/stat || exit 1\n' +
  // The command name may hold spaces and parentheses: skip past its end.
  'set -- ${s##*) }\necho "$5"\n';

/**
 * Where nitro's console lines go: `direct` (its stderr), or, when stderr is
 * a terminal and nitro has a controlling terminal, a relay to it. (Without
 * one, as a machine's pid 1, job control cannot touch nitro; a container's
 * pid 1 on a terminal is in the foreground.) When the relay cannot be made,
 * or ends, lines go to `direct`.
 */
export async function consoleSink(
  direct: Writer,
  children: Children,
): Promise<Writer> {
  // Not as pid 1: its end kills the relay with its last words unwritten.
  if (Deno.pid === 1 || !Deno.stderr.isTerminal()) return direct;
  const tty = (await probeSelf(CONTROLLING_TTY, children))?.trim();
  if (tty === undefined || tty === "0" || !/^\d+$/.test(tty)) return direct;
  const cat = ["/bin/cat", "/usr/bin/cat"].find(isExecutable);
  if (cat === undefined) return direct;
  let relay: Deno.ChildProcess;
  try {
    relay = new Deno.Command("/bin/sh", {
      args: ["-c", 'exec "$0" >&2', cat],
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
      // A session of its own: no controlling terminal, no job control.
      detached: true,
    }).spawn();
  } catch {
    return direct;
  }
  void children.track(relay);
  const writer = relay.stdin.getWriter();
  let target: Writer | null = null;
  return {
    async write(bytes) {
      if (target !== null) return target.write(bytes);
      try {
        await writer.write(bytes);
        return bytes.length;
      } catch {
        target = direct; // The relay is gone.
        return direct.write(bytes);
      }
    },
  };
}
