/**
 * Carry out one nitroctl command over a connected client, print what it
 * answers, and decide the exit status.
 *
 * @module
 */

import { type NitroClient, NitroError, type WaitOptions } from "../client.ts";
import type { ServiceEvent, ServiceResult } from "../protocol.ts";
import type { CommandLine } from "./args.ts";
import { EXIT } from "./exit.ts";
import { formatEvent, formatInfo, formatStatus } from "./format.ts";
import type { Output } from "./output.ts";
import type { ServiceArgs } from "./services.ts";

/**
 * Run a parsed command; resolve with its exit status. Failures of nitro or
 * of the connection are thrown, for the caller to map.
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
  const { services, hint } = target;
  const print = (value: unknown) => io.out(JSON.stringify(value));
  const printEvent = (e: ServiceEvent) =>
    line.json ? print(e) : io.out(formatEvent(e));
  const opts = hint === undefined ? {} : { hint };
  const waiting: WaitOptions = line.verbose
    ? { ...opts, verbose: true, onEvent: printEvent }
    : opts;

  switch (action.kind) {
    case "list": {
      const list = await client.list(
        services.length > 0 ? services : undefined,
        opts,
      );
      if (line.json) print(list);
      else for (const s of list) io.out(formatStatus(s));
      return EXIT.ok;
    }
    case "info": {
      const info = await client.info();
      if (line.json) print(info);
      else for (const l of formatInfo(info)) io.out(l);
      return EXIT.ok;
    }
    case "change": {
      const results = action.wait === undefined
        ? await client[action.op](services, opts)
        : await client[action.op](services, { ...waiting, wait: action.wait });
      return report(results, line.json, io);
    }
    case "wait":
      return report(
        await client.waitFor(services, action.wait, waiting),
        line.json,
        io,
      );
    case "ready":
      return report(await client.ready(services, opts), line.json, io);
    case "signal":
      return report(
        await client.signal(services, action.signal, opts),
        line.json,
        io,
      );
    case "pidof":
    case "check": {
      const pids = await client.pidof(services, opts);
      if (line.json) print(pids);
      else if (action.kind === "pidof") {
        for (const pid of Object.values(pids)) {
          if (pid !== null) io.out(String(pid));
        }
      }
      const all = Object.values(pids).every((pid) => pid !== null);
      return all ? EXIT.ok : EXIT.failed;
    }
    case "rescan":
      await client.rescan();
      return report([], line.json, io);
    case "shutdown":
      await goingDown(client.shutdown());
      return report([], line.json, io);
    case "reboot":
      await goingDown(client.reboot());
      return report([], line.json, io);
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

/** Print action results as asked; a service that ended FATAL fails. */
function report(results: ServiceResult[], json: boolean, io: Output): number {
  if (json) io.out(JSON.stringify(results));
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) io.err(`nitroctl: ${r.name} failed: ${r.state}`);
  return failed.length > 0 ? EXIT.failed : EXIT.ok;
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
