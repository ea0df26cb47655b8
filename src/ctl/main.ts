/**
 * nitroctl from arguments to exit status: parse, resolve SERVICE paths,
 * connect, run the command under the `-t` limit, report failures as one
 * line on stderr.
 *
 * @module
 */

import { NitroClient, NitroError } from "../client.ts";
import { socketPath } from "../config/socket_path.ts";
import {
  asksForJson,
  type CommandLine,
  isPath,
  parseCommandLine,
} from "./args.ts";
import { type CtlError, EXIT, failure, TimeoutError } from "./exit.ts";
import type { Shell } from "./commands.ts";
import { invocation } from "./invocation.ts";
import { type Output, stdio } from "./output.ts";
import { runCommand } from "./run.ts";
import { checkSocketOwner } from "./socket_owner.ts";
import type { ServiceArgs } from "./services.ts";

/** Longest delay `setTimeout` honours; longer `-t` values mean "no limit". */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Run nitroctl with `args` (without argv[0]); resolve with the exit status.
 * Never throws for anything nitro or the user does.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["pidof", "web"]));
 * ```
 */
export async function main(
  args: readonly string[],
  io: Output = stdio,
): Promise<number> {
  const called = await invocation(args);
  let line: CommandLine;
  try {
    line = await parseCommandLine(called);
  } catch (error) {
    const { message, error: json } = failure(error);
    if (asksForJson(called.args)) io.out(errorDocument(json));
    // One line, never the whole usage: `--help` has it.
    io.err(message);
    return EXIT.usage;
  }
  if (line.help) {
    const { USAGE, commandHelp } = await import("./usage.ts");
    io.out(line.help === "usage" ? USAGE.trimEnd() : commandHelp(line.command));
    return EXIT.ok;
  }
  if (line.command.action.kind === "completion") {
    const { completionScript } = await import("./completion.ts");
    io.out(completionScript(line.operand as Shell).trimEnd());
    return EXIT.ok;
  }

  let client: NitroClient | undefined;
  /** The services as sent to nitro. */
  let sent: string[] = [];
  const work = async () => {
    const target = await serviceArgs(line.services);
    sent = target.services;
    // $NITRO_SOCK, /etc/nitro.sock or the default, as the spec says.
    const path = socketPath();
    checkSocketOwner(path, line.force, io.err);
    client = await NitroClient.connect(path);
    if (client.server === "c") {
      // C nitro: C nitroctl's requests and output (paths resolved its way).
      const { runAgainstC } = await import("../spat/ctl.ts");
      return await runAgainstC(client, line, io);
    }
    return await runCommand(client, line, target, io);
  };
  try {
    return await withTimeout(work(), line.timeoutMs);
  } catch (error) {
    // The reader of our output went away (`nitroctl events | head -1`):
    // end quietly, with the status a SIGPIPE death would give.
    if (error instanceof Deno.errors.BrokenPipe) return 128 + 13;
    const open = client as NitroClient | undefined;
    if (error instanceof TimeoutError && open?.server === "deno") {
      // What is still pending, where this nitro can say.
      const { pendingWork } = await import("./pending.ts");
      error.pending = await pendingWork(open, line, sent);
    }
    const { status, message, error: json } = failure(error);
    if (line.json) io.out(errorDocument(json));
    io.err(message);
    return status;
  } finally {
    client?.close();
  }
}

/**
 * The SERVICE arguments to send. Names go as they are; the module that
 * resolves paths is loaded only when there is one (each module loaded
 * costs start-up time).
 */
async function serviceArgs(args: string[]): Promise<ServiceArgs> {
  // Deno decodes argv lossily: a U+FFFD stands for bytes that were not
  // UTF-8, and sending it would name another service than the one typed.
  const lossy = args.find((arg) => arg.includes("\uFFFD"));
  if (lossy !== undefined) {
    throw new NitroError("bad-name", "name is not valid UTF-8", {
      service: lossy,
    });
  }
  if (!args.some(isPath)) return { services: args };
  const { resolveServices } = await import("./services.ts");
  return resolveServices(args, envVar("NITRO_SERVICE"));
}

/**
 * What `--json` prints when a command failed as a whole: the protocol's own
 * form of a failed response, `{"ok":false,"error":{…}}`.
 */
function errorDocument(error: CtlError): string {
  return JSON.stringify({ ok: false, error });
}

/** `work`, or a rejection with a {@link TimeoutError} after `ms` milliseconds. */
function withTimeout<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined || ms > MAX_TIMER_MS) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** An environment variable, or undefined when it may not be read. */
function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
