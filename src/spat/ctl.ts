/**
 * nitroctl against C nitro: every command C nitroctl has, printing what C
 * nitroctl prints and exiting as it exits (one request per SERVICE, each on
 * its own reply socket; the status is the worst of them). `--json`, and
 * this project's `status` and `metrics`, go through the client's SPAT
 * transport and print what they print against this project's nitro.
 * `blame` and `plot` need a history C nitro does not keep.
 *
 * Loaded only when the socket turned out to be C nitro's.
 *
 * @module
 */

import { type NitroClient, NitroError } from "../client.ts";
import type { CommandLine } from "../ctl/args.ts";
import type { Action } from "../ctl/commands.ts";
import { EXIT } from "../ctl/exit.ts";
import type { Output } from "../ctl/output.ts";
import { runCommand } from "../ctl/run.ts";
import { lexicalPath, noSuchPath } from "../ctl/services.ts";
import type { State } from "../protocol.ts";
import { type CommandTag, type Reply, TAG } from "./codec.ts";
import { formatCDetails, formatCInfo, formatCList } from "./format.ts";
import { SpatLink } from "./link.ts";
import { signalNumber } from "../config/signals.ts";

/** How one request waits, as C nitroctl says it. */
type Wait =
  /** Not at all: the first answer settles it. */
  | "none"
  /** For the first sign of the target (STARTING, SHUTDOWN). */
  | "fast"
  /** For the target itself (UP, DOWN). */
  | "full";

/** What a request reports on its own: pid, the list line, nothing. */
type QueryShow = "pid" | "line" | "none";

/** One request, as C nitroctl makes them. */
interface Request {
  command: CommandTag | "wait-up" | "wait-down" | "wait-starting";
  service: string;
  wait: Wait;
  show: QueryShow;
  signal?: number;
}

/**
 * Run a parsed command against C nitro; resolve with the exit status.
 * Ctrl-C removes the reply sockets and exits 130 (0 for `events`).
 *
 * @example
 * ```ts ignore
 * const client = await NitroClient.connect();
 * if (client.server === "c") Deno.exit(await runAgainstC(client, line, stdio));
 * ```
 */
export async function runAgainstC(
  client: NitroClient,
  line: CommandLine,
  io: Output,
): Promise<number> {
  const { action } = line.command;
  if (action.kind === "blame" || action.kind === "plot") {
    io.err(
      `nitroctl: ${action.kind} is not available from C nitro ` +
        "(it keeps no history of events)",
    );
    return EXIT.usage;
  }
  const names: string[] = [];
  for (const arg of line.services) {
    const name = cServiceName(arg);
    if (typeof name !== "string") {
      io.err(name.error);
      return EXIT.unavailable;
    }
    names.push(name);
  }
  const link = new SpatLink(client.path);
  let onInterrupt = () => {};
  const interrupted = new Promise<number>((resolve) => {
    onInterrupt = () => {
      link.close();
      client.close();
      resolve(action.kind === "events" ? 0 : EXIT.interrupted);
    };
  });
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    return await Promise.race([
      interrupted,
      run(client, link, action, line, names, io),
    ]);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    link.close();
  }
}

async function run(
  client: NitroClient,
  link: SpatLink,
  action: Action,
  line: CommandLine,
  names: string[],
  io: Output,
): Promise<number> {
  if (line.json || action.kind === "metrics") {
    return await runCommand(client, line, { services: names }, io);
  }
  switch (action.kind) {
    case "status": {
      // Unknown services are named C nitroctl's way; the others are shown.
      const answer = await client.send(
        names.length > 0 ? { op: "status", services: names } : { op: "status" },
      ).catch((error) => {
        if (!(error instanceof NitroError) || error.service === undefined) {
          throw error;
        }
        return { ok: true, errors: [{ service: error.service }] } as const;
      });
      const details = "details" in answer ? answer.details ?? [] : [];
      for (const text of formatCDetails(details)) io.out(text);
      for (const e of answer.errors ?? []) {
        io.err(`nitroctl: no such service '${e.service}'`);
      }
      return (answer.errors ?? []).length > 0 ? EXIT.unavailable : 0;
    }
    case "events":
      for await (const change of link.changes()) {
        io.out(`${change.state} ${change.name}`);
      }
      return 0;
    default: {
      const requests = requestsFor(action, names);
      const statuses = await Promise.all(
        requests.map((r) => settle(link, r, line.verbose, io)),
      );
      return Math.max(0, ...statuses);
    }
  }
}

/** The requests C nitroctl makes for a command. */
function requestsFor(action: Action, names: string[]): Request[] {
  const each = (
    command: Request["command"],
    wait: Wait,
    show: QueryShow = "none",
    signal?: number,
  ) =>
    names.map((service): Request => ({ command, service, wait, show, signal }));
  const one = (command: CommandTag): Request[] => [
    { command, service: "", wait: "none", show: "none" },
  ];
  switch (action.kind) {
    case "list":
      return names.length === 0
        ? one(TAG.list)
        : each(TAG.query, "full", "line");
    case "info":
      return one(TAG.info);
    case "rescan":
      return one(TAG.rescan);
    case "shutdown":
      return one(TAG.shutdown);
    case "reboot":
      return one(TAG.reboot);
    case "change": {
      const wait: Wait = action.wait === undefined
        ? "none"
        : action.wait === "up" || action.wait === "down"
        ? "full"
        : "fast";
      return each(TAG[action.op], wait);
    }
    case "wait":
      return each(`wait-${action.wait}` as Request["command"], "full");
    case "ready":
      return each(TAG.ready, "none");
    case "signal":
      return each(TAG.signal, "none", "none", signalNumber(action.signal));
    case "pidof":
      return each(TAG.query, "full", "pid");
    case "check":
      return each(TAG.query, "fast");
    default:
      return [];
  }
}

/**
 * Send one request and judge its replies as C nitroctl does; resolve with
 * its exit status.
 */
async function settle(
  link: SpatLink,
  request: Request,
  verbose: boolean,
  io: Output,
): Promise<number> {
  const { service } = request;
  if (new TextEncoder().encode(service).length > 64) {
    io.err(`nitroctl: service name too long: ${service}`);
    return EXIT.unavailable;
  }
  const waiting = typeof request.command === "string";
  const command: CommandTag = waiting
    ? TAG.query
    : request.command as CommandTag;
  return await link.call({
    command,
    service: service === "" ? undefined : service,
    signal: request.signal,
    settle: (reply) => judge(request, reply, verbose, io),
  });
}

/** One reply to one request: an exit status, or undefined to wait on. */
function judge(
  request: Request,
  reply: Reply,
  verbose: boolean,
  io: Output,
): number | undefined {
  const { command, service, wait } = request;
  if (reply.kind === "no-such-service") {
    io.err(`nitroctl: no such service '${service}'`);
    return EXIT.unavailable;
  }
  if (reply.kind === "not-implemented") {
    io.err("nitroctl: command not implemented in server");
    return EXIT.unavailable;
  }
  let state: State | undefined;
  if (reply.kind === "state") {
    state = reply.state;
    const shows = command === TAG.up || command === TAG.down ||
      command === TAG.restart || command === "wait-up" ||
      command === "wait-down";
    if (verbose && shows) io.out(`${state} ${service}`);
  } else if (reply.kind === "query") {
    state = reply.service.state;
    if (verbose && (command === "wait-up" || command === "wait-down")) {
      io.out(`${state} ${service}`);
    }
  }
  switch (command) {
    case TAG.list:
      if (reply.kind !== "list") return undefined;
      for (const text of formatCList(reply.services)) io.out(text);
      return 0;
    case TAG.info:
      if (reply.kind !== "info") return undefined;
      for (const text of formatCInfo(reply.values)) io.out(text);
      return 0;
    case "wait-starting":
      return state === "STARTING" || state === "UP" || state === "ONESHOT"
        ? 0
        : undefined;
    case "wait-up":
      return state === "UP" || state === "ONESHOT" ? 0 : undefined;
    case TAG.up:
    case TAG.restart:
      if (wait === "none") return 0;
      if (wait === "fast" && state === "STARTING") return 0;
      if (state === "UP" || state === "ONESHOT") return 0;
      if (state === "FATAL") {
        const verb = command === TAG.up ? "start" : "restart";
        io.err(`nitroctl: failed to ${verb} '${service}'`);
        return 1;
      }
      return undefined;
    case "wait-down":
    case TAG.down:
      if (wait === "fast" && state === "SHUTDOWN") return 0;
      return state === "DOWN" || state === "FATAL" ? 0 : undefined;
    case TAG.query: {
      if (reply.kind !== "query" && reply.kind !== "state") return undefined;
      const facts = reply.kind === "query"
        ? reply.service
        : { state: reply.state, pid: 0, wstatus: 0, uptime: 0 };
      if (request.show === "line") {
        io.out(formatCList([{ name: service, ...facts }])[0]);
        return 0;
      }
      if (request.show === "pid" && facts.pid !== 0) {
        io.out(String(facts.pid));
        return 0;
      }
      return facts.pid === 0 ? 1 : 0;
    }
    default:
      return 0;
  }
}

/**
 * The name C nitroctl sends for a SERVICE argument: a name as it is; a
 * path, the last component of its absolute form (taken lexically, from
 * `$PWD` when that is the working directory), if it exists.
 */
function cServiceName(arg: string): string | { error: string } {
  if (!(arg === "." || arg === ".." || arg.includes("/"))) return arg;
  const path = lexicalPath(arg);
  try {
    Deno.statSync(path);
  } catch (error) {
    return { error: `nitroctl: ${noSuchPath(arg, error)}` };
  }
  return path.slice(path.lastIndexOf("/") + 1);
}
