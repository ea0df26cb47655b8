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

import {
  type NitroClient,
  NitroError,
  type Outgoing,
  type SendOptions,
} from "../client.ts";
import type { OkResponse, ServiceEvent } from "../protocol.ts";
import type { CommandLine } from "./args.ts";
import { EXIT, failure } from "./exit.ts";
import { formatEvent, formatInfo, formatStatus } from "./format.ts";
import type { Output } from "./output.ts";
import type { ServiceArgs } from "./services.ts";

/**
 * Run a parsed command; resolve with its exit status. Failures of nitro or
 * of the connection are thrown, for the caller to map. Services nitro could
 * not serve while it served the others are reported on stderr after the
 * rest is printed, and make the status 111.
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
  const status = await runAction(client, line, target, io);
  // Paths that did not resolve here, reported as nitro's own errors are.
  return partial({ ok: true, errors: target.errors }, status, io);
}

/** {@link runCommand} for the arguments that resolved. */
async function runAction(
  client: NitroClient,
  line: CommandLine,
  target: ServiceArgs,
  io: Output,
): Promise<number> {
  const { action } = line.command;
  const { services, hint } = target;
  const print = (value: unknown) => io.out(JSON.stringify(value));
  const printEvent = (e: ServiceEvent) =>
    line.json ? print(e) : io.out(formatEvent(e));
  const named = hint === undefined ? { services } : { services, hint };
  const some = services.length > 0 ? named : {};
  const streaming: SendOptions = line.verbose ? { onEvent: printEvent } : {};
  const verbose = line.verbose ? { verbose: true } : {};
  /** Send a request whose answer is per-service results, and report them. */
  const settle = async (request: Outgoing, kind: "wait" | "signal" = "wait") =>
    await report(client, await client.send(request, streaming), kind, line, io);

  switch (action.kind) {
    case "list": {
      const answer = await client.send({ op: "list", ...some });
      const list = field(answer, "services");
      if (line.json) print(list);
      // One write, not one per service: 10,000 lines are 10,000 syscalls.
      else if (list.length > 0) io.out(list.map(formatStatus).join("\n"));
      return partial(answer, EXIT.ok, io);
    }
    case "status": {
      const answer = await client.send({ op: "status", ...some });
      const details = field(answer, "details");
      if (line.json) print(details);
      else {
        const { formatDetails } = await import("./status.ts");
        for (const text of formatDetails(details)) io.out(text);
      }
      return partial(answer, EXIT.ok, io);
    }
    case "metrics": {
      const [answer, info, { formatMetrics }] = await Promise.all([
        client.send({ op: "status" }),
        client.info(),
        import("./metrics.ts"),
      ]);
      // One write: a scraper reading a pipe never sees half an exposition.
      io.out(formatMetrics(field(answer, "details"), info).trimEnd());
      return EXIT.ok;
    }
    case "info": {
      const info = await client.info();
      if (line.json) print(info);
      else for (const l of formatInfo(info)) io.out(l);
      return EXIT.ok;
    }
    case "change": {
      const request: Outgoing = action.wait === undefined
        ? { op: action.op, ...named }
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
    case "check": {
      const answer = await client.send({ op: "pidof", ...named });
      const pids = field(answer, "pids");
      if (line.json) print(pids);
      else if (action.kind === "pidof") {
        for (const pid of Object.values(pids)) {
          if (pid !== null) io.out(String(pid));
        }
      }
      const all = Object.values(pids).every((pid) => pid !== null);
      return partial(answer, all ? EXIT.ok : EXIT.failed, io);
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
    case "events": {
      const events = client.events({ replay: line.replay });
      client.close(); // the stream has a connection of its own
      for await (const e of events) {
        printEvent(e);
      }
      return EXIT.ok;
    }
  }
}

/**
 * Print the results of an action as asked. A service that did not get
 * where it was asked to go (a wait ended FATAL; a signal found no process)
 * is named on stderr and makes the status 1; for one that ended FATAL,
 * with the reason nitro gives (asked for only then).
 */
async function report(
  client: NitroClient,
  answer: OkResponse,
  kind: "wait" | "signal",
  line: CommandLine,
  io: Output,
): Promise<number> {
  const results = field(answer, "results");
  if (line.json) io.out(JSON.stringify(results));
  const failed = results.filter((r) => !r.ok);
  const reasons = kind === "wait"
    ? await fatalReasons(client, failed.filter((r) => r.state === "FATAL"))
    : new Map<string, string>();
  for (const r of failed) {
    const reason = reasons.get(r.name);
    io.err(
      kind === "signal"
        ? `nitroctl: ${r.name}: no process to signal`
        : `nitroctl: ${r.name} failed: ${r.state}` +
          (reason === undefined ? "" : ` (${reason})`),
    );
  }
  return partial(answer, failed.length > 0 ? EXIT.failed : EXIT.ok, io);
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
 * Report each service argument nitro could not serve (after the output
 * for the others), and make the status 111 if there was one.
 */
function partial(answer: OkResponse, status: number, io: Output): number {
  const errors = answer.errors ?? [];
  for (const e of errors) {
    io.err(failure(new NitroError(e.code, e.message, e.service)).message);
  }
  return errors.length > 0 ? EXIT.unavailable : status;
}

/** A payload the answer must carry, or a protocol error. */
function field<K extends "services" | "details" | "results" | "pids">(
  answer: OkResponse,
  key: K,
): NonNullable<OkResponse[K]> {
  const value = answer[key];
  if (value === undefined) {
    throw new NitroError("protocol", `nitro's answer lacks "${key}"`);
  }
  return value as NonNullable<OkResponse[K]>;
}

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
