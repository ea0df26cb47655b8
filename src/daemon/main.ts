/**
 * The nitro daemon: resolves its directory and socket, starts the
 * supervisor and the control server, and maps signals to the lifecycle.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { socketPath } from "../config/socket_path.ts";
import { isExecutable } from "../config/scan.ts";
import { nitroConsole } from "./console.ts";
import { serveControl } from "./control.ts";
import { inheritedFds } from "./inherited_fds.ts";
import {
  ignoreJobControlStops,
  relayConsoleIfControllingTerminal,
} from "./job_control.ts";
import { listenControl } from "./socket.ts";
import { liveChildren } from "./spawn.ts";
import { type EndMode, Supervisor } from "./supervisor.ts";
import { holdThreadReserve } from "./thread_reserve.ts";
import type { Pid1 } from "../init/pid1.ts";

/** Exit status for errors nitro cannot recover from (as nitroctl's 111). */
export const EXIT_FATAL = 111;

const USAGE = "usage: nitro [DIR]";

/** `nitro --help`: what nitro takes and what it answers to. */
const HELP = `${USAGE}

Supervise every service directory in DIR (default /etc/nitro); a relative
DIR is resolved once at start. As pid 1, DIR \`S\` or \`single\` means
/etc/nitro.single (single-user mode).

environment:
  NITRO_SOCK  control socket (default: the target of the /etc/nitro.sock
              symlink, else /run/nitro/nitro.sock)

signals:
  HUP   rescan DIR
  INT   reboot (as a machine's pid 1: Ctrl-Alt-Del)
  TERM  shut down (ignored as a machine's pid 1)

Control it with nitroctl. Reference: docs/nitro.8.md, docs/nitroctl.1.md.`;

/**
 * Run the daemon with command-line `args`; resolves with the exit status.
 * `pid1` carries the pid-1 duties when nitro is pid 1 (see cli/nitro.ts).
 */
export async function main(
  args: string[],
  pid1: Pid1 | null = null,
): Promise<number> {
  let positionals: string[];
  try {
    let values: { help?: boolean };
    ({ positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: "boolean", short: "h" } },
    }));
    if (values.help) {
      console.log(HELP);
      return 0;
    }
  } catch (err) {
    console.error(`nitro: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  ignoreJobControlStops();
  await relayConsoleIfControllingTerminal();
  for (const warning of pid1?.warnings ?? []) {
    nitroConsole.say(`- nitro: ${warning}`);
  }
  // The real pid 1 of a machine, as opposed to a container's init.
  const machine = pid1 !== null && !pid1.container;
  let dir = positionals[0] ?? "/etc/nitro";
  if (pid1 && (dir === "S" || dir === "single")) dir = "/etc/nitro.single";
  // A relative DIR (`nitro .`) is resolved once: scripts run elsewhere.
  dir = resolve(dir);

  const problem = dirProblem(dir);
  if (problem !== null) return fatal(dir, `${dir}: ${problem}`, pid1);

  // Before the socket exists: between its first answer and the signal
  // handlers below nothing may wait, or a SIGTERM then kills nitro outright.
  await closeInherited(pid1);
  holdThreadReserve((line) => nitroConsole.say(line));

  const sock = socketPath();
  let listener: Deno.Listener;
  try {
    listener = await listenControl(sock);
  } catch (err) {
    return fatal(dir, (err as Error).message, pid1); // It names the socket.
  }

  keepGoingOnInternalErrors();
  const isOurs = (pid: number) => liveChildren.has(pid);
  const supervisor = new Supervisor({
    dir,
    runDir: `${sock}.d`,
    log: (line, opts) =>
      opts?.raw ? nitroConsole.write(line) : nitroConsole.say(line),
    stdio: await stdio(pid1),
    hooks: pid1 ? { killAll: () => pid1.killAll(isOurs) } : {},
  });
  const stopReaping = pid1?.watchOrphans(isOurs, (n) => supervisor.reaps += n);
  const end = (mode: EndMode) => void supervisor.end(mode);
  const signals: [Deno.Signal, () => void][] = [
    ["SIGHUP", () => supervisor.rescan()],
    // As a machine's init this is Ctrl-Alt-Del: an orderly reboot too.
    ["SIGINT", () => end("reboot")],
    // The real pid 1 ignores SIGTERM (spec §6); a container's init obeys.
    ["SIGTERM", () => machine || end("shutdown")],
  ];
  for (const [sig, handler] of signals) Deno.addSignalListener(sig, handler);
  const server = serveControl(listener, { supervisor, end, pid1: !!pid1 });

  let mode: EndMode;
  // Reboot without a machine to reboot: boot again from scratch.
  while ((mode = await supervisor.run()) === "reboot" && !machine) {
    await reincarnate(dir, pid1);
  }

  for (const [sig, handler] of signals) Deno.removeSignalListener(sig, handler);
  stopReaping?.();
  listener.close();
  await server;
  try {
    Deno.removeSync(sock);
  } catch {
    // Removed by someone else.
  }
  await reincarnate(dir, pid1);
  if (machine) await pid1.finish(mode, lastWords);
  await lastWords.flush();
  return 0;
}

/**
 * How long output may stand still before nitro exits, execs or reboots
 * without its last messages (a stopped console would hold them for ever).
 */
const LAST_WORDS_MS = 1000;

/** nitro's console for {@link Pid1.finish}, with the bound above. */
const lastWords = {
  say: (text: string) => nitroConsole.say(text),
  flush: () => nitroConsole.flush(LAST_WORDS_MS),
};

/**
 * Keep fds inherited without close-on-exec from reaching the services: as
 * pid 1 by marking them close-on-exec, otherwise by saying so (nitro cannot
 * close them without libc).
 */
async function closeInherited(pid1: Pid1 | null): Promise<void> {
  const fds = await inheritedFds();
  if (fds.length === 0) return;
  if (pid1 !== null) {
    for (const failure of pid1.closeOnExec(fds)) {
      nitroConsole.say(`- nitro: ${failure}`);
    }
    return;
  }
  const which = `${fds.length === 1 ? "fd" : "fds"} ${fds.join(", ")}`;
  nitroConsole.say(
    `- nitro: ${which} came open from whoever started nitro, without ` +
      "close-on-exec: every service inherits them; start nitro with only " +
      "fds 0, 1 and 2 open",
  );
}

/**
 * A supervisor (let alone pid 1) must not die of a bug in one handler:
 * report uncaught errors and rejections, and carry on.
 */
function keepGoingOnInternalErrors(): void {
  const report = (what: unknown) => {
    const text = what instanceof Error ? what.stack ?? what.message : what;
    nitroConsole.say(`- nitro: internal error: ${text}`);
  };
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    report(e.reason);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    report(e.error);
  });
}

/**
 * Whether nitro's stdout and stderr can be handed to services. Deno itself
 * reopens closed fds 0-2 onto /dev/null, so only an init's odd start (an
 * fd left on a directory or an internal kernel object) needs the check; it
 * is loaded only as pid 1 because node:fs costs 8 MB of resident memory.
 */
async function stdio(pid1: Pid1 | null) {
  if (pid1 === null) return { stdout: true, stderr: true };
  const { stdioStatus } = await import("../init/stdio.ts");
  return stdioStatus();
}

/**
 * Exec into SYS/reincarnate if it exists (pid 1 only: it needs execve).
 * Returns only if there is nothing to exec into, or the exec failed.
 */
async function reincarnate(dir: string, pid1: Pid1 | null): Promise<void> {
  const path = join(dir, "SYS", "reincarnate");
  if (!isExecutable(path)) return;
  if (pid1 === null) {
    nitroConsole.say(
      "- nitro: SYS/reincarnate needs nitro to be pid 1; ignored",
    );
    return;
  }
  await lastWords.flush();
  try {
    pid1.reincarnate(path, []);
  } catch (err) {
    nitroConsole.say(`- nitro: cannot exec ${path}: ${(err as Error).message}`);
  }
}

/** Why `dir` cannot serve as the service directory, or null. */
function dirProblem(dir: string): string | null {
  try {
    if (!Deno.statSync(dir).isDirectory) return "not a directory";
    for (const _ of Deno.readDirSync(dir)) break;
    return null;
  } catch (err) {
    return err instanceof Deno.errors.NotFound
      ? "no such directory"
      : (err as Error).message;
  }
}

/**
 * Report an unrecoverable error and run SYS/fatal if there is one. A
 * machine's pid 1 must not exit (the kernel would panic): it reboots.
 */
async function fatal(
  dir: string,
  problem: string,
  pid1: Pid1 | null,
): Promise<number> {
  nitroConsole.say(`- nitro: ${problem}`);
  const script = join(dir, "SYS", "fatal");
  if (isExecutable(script)) {
    try {
      await new Deno.Command(script, { cwd: join(dir, "SYS") }).spawn().status;
    } catch {
      // Nothing more to be done.
    }
  }
  if (pid1 !== null && !pid1.container) {
    await pid1.finish("reboot", lastWords);
  }
  await lastWords.flush();
  return EXIT_FATAL;
}
