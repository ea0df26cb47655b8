/**
 * The nitro daemon: resolves its directory and socket, starts the
 * supervisor and the control server, and maps signals to the lifecycle.
 *
 * @module
 */

import { resolve } from "node:path";
import { socketPath } from "../config/socket_path.ts";
import { EXIT_USAGE } from "../core/exit_status.ts";
import type { EndMode, Role } from "../core/system.ts";
import { message, stackOf } from "../errors.ts";
import { Children } from "./children.ts";
import { ConsoleWriter } from "./console.ts";
import { serveControl } from "./control.ts";
import { type Console, realHost, sayInternal } from "./host.ts";
import { inheritedFds } from "./inherited_fds.ts";
import type { RuntimeDir } from "./runtime_dir.ts";
import { NotifyDir } from "./notify_dir.ts";
import { openFds } from "./proc_probe.ts";
import { listenControl } from "./socket.ts";
import { stopSurvivors } from "./survivors.ts";
import type { Stdio } from "./supervisor.ts";
import { LAST_WORDS_MS, type Pid1Duties, SystemShell } from "./system_shell.ts";
import { consoleSink, ignoreJobControlStops } from "./job_control.ts";
import { ThreadReserve } from "./thread_reserve.ts";
import { parseCommandLine, USAGE, USER_HINT } from "./command_line.ts";
import type { Pid1 } from "../init/pid1.ts";

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
  const line = parseCommandLine(args);
  if (line.kind === "help") {
    console.log(HELP);
    return 0;
  }
  if (line.kind === "mistake") {
    console.error(line.line);
    return EXIT_USAGE;
  }
  // Before nitro writes anything: no terminal may stop it (job_control.ts).
  ignoreJobControlStops();
  const children = new Children();
  const reserve = new ThreadReserve();
  const out = new ConsoleWriter(
    await consoleSink(reserve.sink(Deno.stderr), children),
  );
  for (const warning of pid1?.warnings ?? []) out.say(`- nitro: ${warning}`);
  const role: Role = pid1 === null
    ? "process"
    : pid1.container
    ? "container"
    : "machine";
  let dir = line.dir ?? "/etc/nitro";
  if (pid1 && (dir === "S" || dir === "single")) dir = "/etc/nitro.single";
  // A relative DIR (`nitro .`) is resolved once: scripts run elsewhere.
  dir = resolve(dir);
  const stdio = await stdioOf(pid1);
  const duties = pid1 === null ? undefined : pid1Duties(pid1, children, out);
  const shell = (
    runtime: RuntimeDir | null,
    closeControl?: () => Promise<void>,
    notify?: NotifyDir,
  ) =>
    new SystemShell({
      dir,
      host: realHost({ runtime, console: out, children, reserve, notify }),
      stdio,
      role,
      pid1: duties,
      closeControl,
    });

  // The default directory and socket are the system's: a user who gave no
  // DIR is told how to run a nitro of their own.
  const hint = line.dir === null && pid1 === null && !isRoot()
    ? `; ${USER_HINT}`
    : "";
  const problem = dirProblem(dir);
  if (problem !== null) {
    return shell(null).fatal(`${dir}: ${problem}${hint}`);
  }

  // Before the socket exists: once it answers, nothing may wait.
  await closeInherited(pid1, children, out);
  // A pool thread kept for nitro's life: under pid exhaustion it cannot
  // make one, and Deno ends a process that cannot (thread_reserve.ts).
  const noReserve = reserve.hold();
  if (noReserve !== null) {
    out.say(
      `- nitro: no thread kept in reserve for pid exhaustion: ${noReserve}`,
    );
  }

  // The signal handlers come before the socket: once it answers, a SIGTERM
  // must find them (without, it kills nitro outright). One that comes
  // before the system exists is carried out as soon as it does.
  let system: SystemShell | null = null;
  let early: EndMode | null = null;
  const end = (mode: EndMode) =>
    system === null ? (early ??= mode) : system.end(mode);
  const signals: [Deno.Signal, () => void][] = [
    ["SIGHUP", () => system?.supervisor.rescan()],
    // As a machine's init this is Ctrl-Alt-Del: an orderly reboot too.
    ["SIGINT", () => end("reboot")],
    // A machine's init must not be stopped by a stray kill; a container's
    // init is how the container is stopped.
    ["SIGTERM", () => role === "machine" || end("shutdown")],
  ];
  const ignoreSignals = () => {
    for (const [sig, handler] of signals) {
      Deno.removeSignalListener(sig, handler);
    }
  };
  for (const [sig, handler] of signals) Deno.addSignalListener(sig, handler);

  const sock = socketPath();
  let listener: Deno.Listener;
  let runtime: RuntimeDir;
  try {
    ({ listener, runtime } = await listenControl(sock));
  } catch (err) {
    ignoreSignals();
    return shell(null).fatal(message(err) + hint); // It names the socket.
  }
  let notify: NotifyDir;
  try {
    notify = NotifyDir.open(runtime);
  } catch (err) {
    listener.close();
    removeSocket(sock);
    runtime.remove();
    return shell(null).fatal(message(err)); // It names the directory.
  }

  keepGoingOnInternalErrors(out);
  // A nitro killed outright left its services running: stop them before
  // anything starts, or they would run twice.
  try {
    await stopSurvivors(runtime.path, out, children);
  } catch (err) {
    sayInternal(out, "survivors", err);
  }
  const closeControl = async () => {
    ignoreSignals();
    stopReaping?.();
    listener.close();
    await server;
    removeSocket(sock);
    notify.close();
    runtime.remove();
  };
  system = shell(runtime, closeControl, notify);
  const supervisor = system.supervisor;
  const stopReaping = pid1?.watchOrphans(
    (pid) => children.has(pid),
    (n) => supervisor.reaps += n,
  );
  const server = serveControl(listener, {
    supervisor,
    end,
    pid1: pid1 !== null,
    console: out,
    openFds: () => openFds(children),
  });
  const exited = system.run();
  if (early !== null) system.end(early);
  return await exited;
}

/** What the system shell needs of pid 1, on nitro's console. */
function pid1Duties(pid1: Pid1, children: Children, out: Console): Pid1Duties {
  const lastWords = {
    say: (text: string) => out.say(text),
    write: (text: string) => out.write(text),
    flush: () => out.flush(LAST_WORDS_MS),
  };
  return {
    killAll: () =>
      pid1.killAll((pid) => children.has(pid), undefined, lastWords),
    power: (mode) => pid1.finish(mode, lastWords),
    reincarnate: (path) => pid1.reincarnate(path, []),
  };
}

/**
 * Keep fds inherited without close-on-exec from reaching the services: as
 * pid 1 by marking them close-on-exec, otherwise by saying so (nitro cannot
 * close them without libc).
 */
async function closeInherited(
  pid1: Pid1 | null,
  children: Children,
  out: Console,
): Promise<void> {
  const fds = await inheritedFds(children);
  if (fds.length === 0) return;
  if (pid1 !== null) {
    for (const failure of pid1.closeOnExec(fds)) out.say(`- nitro: ${failure}`);
    return;
  }
  const which = `${fds.length === 1 ? "fd" : "fds"} ${fds.join(", ")}`;
  out.say(
    `- nitro: ${which} came open from whoever started nitro, without ` +
      "close-on-exec: every service inherits them; start nitro with only " +
      "fds 0, 1 and 2 open",
  );
}

/**
 * A supervisor (let alone pid 1) must not die of a bug in one handler:
 * report uncaught errors and rejections, and carry on.
 */
function keepGoingOnInternalErrors(out: Console): void {
  const report = (what: unknown) =>
    out.say(`- nitro: internal error: ${stackOf(what)}`);
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
async function stdioOf(pid1: Pid1 | null): Promise<Stdio> {
  if (pid1 === null) return { stdout: true, stderr: true };
  const { stdioStatus } = await import("../init/stdio.ts");
  return stdioStatus();
}

/** Whether nitro runs as root (where it cannot tell: yes, no hint). */
function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return true;
  }
}

function removeSocket(sock: string): void {
  try {
    Deno.removeSync(sock);
  } catch {
    // Removed by someone else.
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
      : message(err);
  }
}
