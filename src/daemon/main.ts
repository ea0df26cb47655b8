/**
 * The nitro daemon: resolves its directory and socket, starts the
 * supervisor and the control server, and maps signals to the lifecycle.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { socketPath } from "../config/socket_path.ts";
import { isExecutable } from "../config/scan.ts";
import { serveControl } from "./control.ts";
import { listenControl } from "./socket.ts";
import { type EndMode, Supervisor } from "./supervisor.ts";

/** Exit status for errors nitro cannot recover from (as nitroctl's 111). */
export const EXIT_FATAL = 111;

const USAGE = "usage: nitro [DIR]";

/** Run the daemon with command-line `args`; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {},
    }));
  } catch (err) {
    console.error(`nitro: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const pid1 = Deno.pid === 1;
  let dir = positionals[0] ?? "/etc/nitro";
  if (pid1 && (dir === "S" || dir === "single")) dir = "/etc/nitro.single";

  const problem = dirProblem(dir);
  if (problem !== null) return fatal(dir, problem);

  const sock = socketPath();
  let listener: Deno.Listener;
  try {
    listener = await listenControl(sock);
  } catch (err) {
    return fatal(dir, (err as Error).message);
  }

  const supervisor = new Supervisor({
    dir,
    runDir: `${sock}.d`,
    log: (line) => console.error(line),
    stdio: { stdout: true, stderr: true },
  });
  const end = (mode: EndMode) => void supervisor.end(mode);
  const signals: [Deno.Signal, () => void][] = [
    ["SIGHUP", () => supervisor.rescan()],
    ["SIGINT", () => end("reboot")],
    ["SIGTERM", () => end("shutdown")],
  ];
  for (const [sig, handler] of signals) Deno.addSignalListener(sig, handler);
  const server = serveControl(listener, { supervisor, end, pid1 });

  while ((await supervisor.run()) === "reboot") {
    // Reboot outside pid 1: boot again from scratch, same process.
  }

  for (const [sig, handler] of signals) Deno.removeSignalListener(sig, handler);
  listener.close();
  await server;
  try {
    Deno.removeSync(sock);
  } catch {
    // Removed by someone else.
  }
  return 0;
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

/** Report an unrecoverable error, run SYS/fatal if there is one. */
async function fatal(dir: string, problem: string): Promise<number> {
  console.error(`nitro: ${dir}: ${problem}`);
  const script = join(dir, "SYS", "fatal");
  if (isExecutable(script)) {
    try {
      await new Deno.Command(script, { cwd: join(dir, "SYS") }).spawn().status;
    } catch {
      // Nothing more to be done.
    }
  }
  return EXIT_FATAL;
}
