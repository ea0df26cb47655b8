/**
 * What a command that `-t` cut short was still waiting for, appended to C
 * nitroctl's `action timed out`: `crashy is DELAY after exit 1 (3
 * restarts)`. Loaded only then.
 *
 * @module
 */

import type { NitroClient } from "../client.ts";
import { judge } from "../core/wait.ts";
import type { ServiceDetail } from "../protocol.ts";
import type { CommandLine } from "./args.ts";

/** How long the question may take: the user waited long enough. */
const ASK_MS = 500;

/**
 * The services of a waiting command that are not where it waits for them
 * to be, described; undefined when the command does not wait, or nitro
 * does not answer in time.
 *
 * @example
 * ```ts ignore
 * await pendingWork(client, line, ["crashy"]);
 * // "crashy is DELAY after exit 1 (3 restarts)"
 * ```
 */
export async function pendingWork(
  client: NitroClient,
  line: CommandLine,
  services: readonly string[],
): Promise<string | undefined> {
  const { action } = line.command;
  const target = action.kind === "change" || action.kind === "wait"
    ? action.wait
    : undefined;
  if (target === undefined || services.length === 0) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ASK_MS);
  });
  try {
    const answer = await Promise.race([
      client.send({ op: "status", services: [...services] }),
      late,
    ]);
    if (answer === undefined) return undefined;
    const pending = answer.details.filter((d) =>
      judge(d.state, true, target) !== "ok"
    );
    return pending.length === 0
      ? undefined
      : pending.map(describePending).join(", ");
  } catch {
    return undefined; // The timeout is what matters; this is a courtesy.
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One service not there yet: `NAME is STATE`, then what this nitro knows
 * of why: the reason it is FATAL, or its last exit, and its restarts.
 *
 * @example
 * ```ts
 * import { describePending } from "./pending.ts";
 * const text = describePending({
 *   name: "crashy", state: "DELAY", pid: null, wstatus: 256, seconds: 0,
 *   uptime: null, restarts: 3, lastExit: "exited 1", logger: null,
 *   readiness: "timer", reason: null,
 * });
 * console.assert(text === "crashy is DELAY after exit 1 (3 restarts)");
 * ```
 */
export function describePending(d: ServiceDetail): string {
  let text = `${d.name} is ${d.state}`;
  if (d.reason !== null) text += `: ${d.reason}`;
  else if (d.lastExit !== null) {
    text += ` after ${d.lastExit.replace(/^exited /, "exit ")}`;
  }
  if (d.restarts !== null && d.restarts > 0) {
    text += ` (${d.restarts} restart${d.restarts === 1 ? "" : "s"})`;
  }
  return text;
}
