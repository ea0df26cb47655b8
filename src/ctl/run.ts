/**
 * Carry out one nitroctl command over a connected client, print what it
 * answers, and decide the exit status.
 *
 * Rarely used commands (`status`, `metrics`, `blame`, `plot`) load their
 * formatting modules only when run: nitroctl's start-up is mostly module
 * loading, and `list` or `start` should not pay for them.
 *
 * @module
 */

import { type NitroClient, NitroError, type OutgoingOf } from "../client.ts";
import type {
  OkResponse,
  ServiceError,
  ServiceEvent,
  ServiceResult,
} from "../protocol.ts";
import type { CommandLine } from "./args.ts";
import type { Action } from "./commands.ts";
import { type CtlError, ctlError, EXIT, serviceFailure } from "./exit.ts";
import { formatEvent, formatInfo, formatStatus } from "./format.ts";
import type { Output } from "./output.ts";
import type { ServiceArgs } from "./services.ts";

/**
 * Run a parsed command; resolve with its exit status. Failures of nitro or
 * of the connection are thrown, for the caller to map. Services nitro could
 * not serve while it served the others (and paths that did not resolve
 * here) are reported on stderr after the rest is printed, and make the
 * status 111; under `--json` each is an entry of the output, with its
 * error.
 *
 * @example
 * ```ts ignore
 * import { NitroClient } from "../client.ts";
 * import { parseCommandLine } from "./args.ts";
 * import { stdio } from "./output.ts";
 * import { runCommand } from "./run.ts";
 *
 * using nitro = await NitroClient.connect();
 * const line = await parseCommandLine({ name: "nitroctl", args: ["list"] });
 * const status = await runCommand(nitro, line, { services: [] }, stdio);
 * ```
 */
export async function runCommand(
  client: NitroClient,
  line: CommandLine,
  target: ServiceArgs,
  io: Output,
): Promise<number> {
  const { action } = line.command;
  /** What nitro could not serve, after the names too long to send. */
  const unserved = (answer: { errors?: ServiceError[] }): ServiceError[] =>
    answer.errors ?? [];
  const { hint } = target;
  // As C nitroctl, a name too long for nitro is refused here, at once;
  // the others are still sent.
  const tooLong = target.services.filter((s) =>
    !s.startsWith("/") && utf8Length(s) > MAX_SENT_NAME_BYTES
  );
  for (const name of tooLong) {
    io.err(`nitroctl: service name too long: ${name}`);
  }
  const services = target.services.filter((s) => !tooLong.includes(s));
  if (tooLong.length > 0 && services.length === 0) return EXIT.unavailable;
  const worst = (status: number) =>
    tooLong.length > 0 ? EXIT.unavailable : status;
  const print = (value: unknown) => io.out(JSON.stringify(value));
  const printEvent = (e: ServiceEvent) =>
    line.json ? print(e) : e.notice !== null && io.out(formatEvent(e));
  const named = hint === undefined ? { services } : { services, hint };
  const some = services.length > 0 ? named : {};
  const verbose = line.verbose && showsChanges(action) ? { verbose: true } : {};
  /** Send a request whose answer is per-service results, and report them. */
  const settle = async (
    request: OutgoingOf<Acting>,
    kind: "wait" | "signal" = "wait",
  ) => {
    const answer = await client.send(request, {
      ...verbose.verbose
        ? { onEvent: verboseLine(action, line, printEvent) }
        : {},
    });
    return worst(
      await report(client, answer, unserved(answer), kind, line, io),
    );
  };

  switch (action.kind) {
    case "list": {
      const answer = await client.send({ op: "list", ...some });
      const list = answer.services;
      const errors = unserved(answer);
      if (line.json) print([...list, ...errors.map(failedEntry)]);
      // One write, not one per service: 10,000 lines are 10,000 syscalls.
      else if (list.length > 0) io.out(list.map(formatStatus).join("\n"));
      return worst(partial(errors, EXIT.ok, io));
    }
    case "status": {
      const answer = await client.send({ op: "status", ...some });
      const details = answer.details;
      const errors = unserved(answer);
      if (line.json) print([...details, ...errors.map(failedEntry)]);
      else {
        const { formatDetails } = await import("./status.ts");
        for (const text of formatDetails(details)) io.out(text);
      }
      return worst(partial(errors, EXIT.ok, io));
    }
    case "metrics": {
      const [answer, info, { formatMetrics }] = await Promise.all([
        client.send({ op: "status" }),
        client.info(),
        import("./metrics.ts"),
      ]);
      // One write: a scraper reading a pipe never sees half an exposition.
      io.out(formatMetrics(answer.details, info).trimEnd());
      return EXIT.ok;
    }
    case "info": {
      const info = await client.info();
      if (line.json) print(info);
      else for (const l of formatInfo(info)) io.out(l);
      return EXIT.ok;
    }
    case "change": {
      const request: OutgoingOf<Acting> = action.wait === undefined
        ? { op: action.op, ...named, ...verbose }
        : { op: action.op, ...named, wait: action.wait, ...verbose };
      return await settle(request);
    }
    case "wait":
      return await settle({
        op: "wait",
        ...named,
        wait: action.wait,
        ...verbose,
      });
    case "ready":
      return await settle({ op: "ready", ...named });
    case "signal":
      return await settle(
        { op: "signal", ...named, signal: action.signal },
        "signal",
      );
    case "pidof":
      // As text, as C nitroctl: a line per argument, in their order.
      if (!line.json) return worst(await pidofEach(client, named, io));
      // falls through
    case "check": {
      const answer = await client.send({ op: "pidof", ...named });
      const pids = answer.pids;
      const errors = unserved(answer);
      if (line.json) {
        const all: Record<string, unknown> = { ...pids };
        for (const e of errors) {
          all[e.service] = { ok: false, error: serviceError(e) };
        }
        print(all);
      } else if (action.kind === "pidof") {
        for (const pid of Object.values(pids)) {
          if (pid !== null) io.out(String(pid));
        }
      }
      const every = Object.values(pids).every((pid) => pid !== null);
      return worst(partial(errors, every ? EXIT.ok : EXIT.failed, io));
    }
    case "rescan":
      await client.rescan();
      if (line.json) print([]);
      return EXIT.ok;
    case "shutdown":
      await goingDown(client.shutdown());
      if (line.json) print([]);
      return EXIT.ok;
    case "reboot":
      await goingDown(client.reboot());
      if (line.json) print([]);
      return EXIT.ok;
    case "blame":
      return await (await import("./boot_commands.ts"))
        .runBlame(client, line, io);
    case "plot":
      return await (await import("./boot_commands.ts"))
        .runPlot(client, line, io);
    case "completion":
      // Handled before connecting (main.ts): it needs no nitro.
      return EXIT.ok;
    case "events": {
      // Ctrl-C ends it well (status 0), as C nitroctl's.
      const interrupt = new AbortController();
      const onInterrupt = () => interrupt.abort();
      Deno.addSignalListener("SIGINT", onInterrupt);
      try {
        const events = client.events({
          replay: line.replay,
          signal: interrupt.signal,
        });
        client.close(); // the stream has a connection of its own
        // As text, the lines C nitroctl prints: what C nitro announces.
        for await (const e of events) {
          printEvent(e);
        }
      } catch (error) {
        if (!interrupt.signal.aborted) throw error;
      } finally {
        Deno.removeSignalListener("SIGINT", onInterrupt);
      }
      return EXIT.ok;
    }
  }
}

/**
 * Print the results of an action as asked. A service that did not get
 * where it was asked to go is named on stderr in C nitroctl's words: a
 * start or restart that ended FATAL, `failed to start 'X'` (status 1),
 * with the reason nitro gives appended; a signal that found no process,
 * `no such service 'X'` (status 111: C nitro answers it so). Under
 * `--json` each such result carries its error, and each service not
 * served follows.
 */
async function report(
  client: NitroClient,
  answer: OkResponse<Acting>,
  errors: ServiceError[],
  kind: "wait" | "signal",
  line: CommandLine,
  io: Output,
): Promise<number> {
  const results = answer.results;
  const failed = results.filter((r) => !r.ok);
  const reasons = kind === "wait"
    ? await fatalReasons(client, failed.filter((r) => r.state === "FATAL"))
    : new Map<string, string>();
  const { action } = line.command;
  const verb = action.kind === "change" && action.op === "restart"
    ? "restart"
    : "start";
  /** What this nitroctl knows beyond C's words, if anything. */
  const more = (r: ServiceResult): string | null =>
    reasons.get(r.name) ?? (r.state === "FATAL" ? null : `it is ${r.state}`);
  const errorOf = (r: ServiceResult): CtlError =>
    kind === "signal"
      ? ctlError("no-process", "no process to signal", r.name)
      : ctlError("fatal", more(r) ?? "FATAL", r.name);
  if (line.json) {
    io.out(JSON.stringify([
      ...results.map((r) => r.ok ? r : { ...r, error: errorOf(r) }),
      ...errors.map(failedEntry),
    ]));
  }
  for (const r of failed) {
    const why = kind === "signal" ? errorOf(r).message : more(r);
    const words = kind === "signal"
      ? `nitroctl: no such service '${r.name}'`
      : `nitroctl: failed to ${verb} '${r.name}'`;
    io.err(why === null ? words : `${words}: ${why}`);
  }
  const status = failed.length === 0
    ? EXIT.ok
    : kind === "signal"
    ? EXIT.unavailable
    : EXIT.failed;
  return partial(errors, status, io);
}

/** Why each of these FATAL services is FATAL, as far as nitro says. */
async function fatalReasons(
  client: NitroClient,
  fatal: readonly { name: string }[],
): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  if (fatal.length === 0) return reasons;
  try {
    const answer = await client.send({
      op: "status",
      services: fatal.map((r) => r.name),
    });
    for (const d of answer.details ?? []) {
      if (d.reason !== null) reasons.set(d.name, d.reason);
    }
  } catch {
    // The failure itself is what matters; the reason is a courtesy.
  }
  return reasons;
}

/**
 * `pidof` as C nitroctl prints it: one query per argument, sent together,
 * and a line per pid in the order of the arguments (a name given twice is
 * printed twice; each path is resolved by nitro on its own). Exit 1 if one
 * has no process, 111 if nitro does not serve one.
 */
async function pidofEach(
  client: NitroClient,
  named: { services: string[]; hint?: string },
  io: Output,
): Promise<number> {
  const ask = async (service: string) => {
    try {
      const answer = await client.send({
        op: "pidof",
        ...named,
        services: [service],
      });
      const pid = Object.values(answer.pids)[0] ?? null;
      return { pid, errors: answer.errors ?? [] };
    } catch (error) {
      // The only service of its request: nitro refused the request.
      if (!(error instanceof NitroError) || error.service === undefined) {
        throw error;
      }
      const code = error.code;
      if (code !== "no-such-service" && code !== "bad-name") throw error;
      const refused = { service: error.service, code, message: error.message };
      return { pid: null, errors: [refused] };
    }
  };
  const answers = await Promise.all(named.services.map(ask));
  for (const { pid } of answers) if (pid !== null) io.out(String(pid));
  const errors = answers.flatMap((a) => a.errors);
  const every = answers.every((a) => a.pid !== null || a.errors.length > 0);
  return partial(errors, every ? EXIT.ok : EXIT.failed, io);
}

/**
 * Report each service argument nitro could not serve (after the output
 * for the others), and make the status 111 if there was one.
 */
function partial(errors: ServiceError[], status: number, io: Output): number {
  for (const e of errors) io.err(serviceFailure(e).message);
  return errors.length > 0 ? EXIT.unavailable : status;
}

/** A service argument that was not served, as its error object. */
function serviceError(e: ServiceError): CtlError {
  return serviceFailure(e).error;
}

/** A service argument that was not served, as an entry of `--json` output. */
function failedEntry(e: ServiceError) {
  return { name: e.service, ok: false, error: serviceError(e) };
}

/** Longest name C nitroctl sends, in bytes; a longer one is refused. */
const MAX_SENT_NAME_BYTES = 64;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Whether `-v` prints state changes for this command, as C nitroctl's
 * does: for up, down, restart and their waiting forms, wait-up and
 * wait-down; not for wait-starting, ready, signals.
 */
function showsChanges(action: Action): boolean {
  return action.kind === "change" ||
    (action.kind === "wait" && action.wait !== "starting");
}

/**
 * What `-v` prints of the events streamed: every one under `--json`; as
 * text, what C nitroctl prints - each announcement until the target is
 * reached, and for `up` and `down`, which C does not wait on, the first
 * announcement of each service only.
 */
function verboseLine(
  action: Action,
  line: CommandLine,
  print: (e: ServiceEvent) => void,
): (e: ServiceEvent) => void {
  if (line.json || action.kind !== "change" || action.wait !== undefined) {
    return print;
  }
  const told = new Set<string>();
  return (e) => {
    if (e.notice === null || told.has(e.name)) return;
    told.add(e.name);
    print(e);
  };
}

/** The ops whose answer is per-service results. */
type Acting = "up" | "down" | "restart" | "wait" | "ready" | "signal";

/**
 * A Shutdown/Reboot request whose connection drops has done its job: nitro
 * may tear connections down before its answer gets out.
 */
async function goingDown(request: Promise<void>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof NitroError && error.code === "disconnected")) {
      throw error;
    }
  }
}
