/**
 * `nitroctl blame` and `nitroctl plot`: take a snapshot of nitro's event
 * history and print the boot as rows or as an SVG picture.
 *
 * @module
 */

import type { NitroClient } from "../client.ts";
import type { CommandLine } from "./args.ts";
import { blameLines, blameRows } from "./blame.ts";
import { EXIT } from "./exit.ts";
import { historySnapshot } from "./history_snapshot.ts";
import type { Output } from "./output.ts";
import { plotSvg, plotTimeline } from "./plot.ts";

/**
 * `blame`: one line per service that started since boot, slowest first
 * (`--json`: the rows as a JSON array). Resolves with the exit status.
 *
 * @example
 * ```ts ignore
 * import { NitroClient } from "../client.ts";
 * import { parseCommandLine } from "./args.ts";
 * import { runBlame } from "./boot_commands.ts";
 * import { stdio } from "./output.ts";
 *
 * using nitro = await NitroClient.connect();
 * const line = await parseCommandLine({ name: "nitroctl", args: ["blame"] });
 * Deno.exit(await runBlame(nitro, line, stdio));
 * ```
 */
export async function runBlame(
  client: NitroClient,
  line: CommandLine,
  io: Output,
): Promise<number> {
  const { events, boot, now } = await historySnapshot(client.path);
  if (line.json) io.out(JSON.stringify(blameRows(events, boot, now)));
  else for (const text of blameLines(events, boot, now)) io.out(text);
  return EXIT.ok;
}

/**
 * `plot`: the boot as a self-contained SVG document on stdout
 * (`nitroctl plot > boot.svg`); with `--json`, the timeline it draws.
 * Resolves with the exit status.
 *
 * @example
 * ```ts ignore
 * import { NitroClient } from "../client.ts";
 * import { parseCommandLine } from "./args.ts";
 * import { runPlot } from "./boot_commands.ts";
 * import { stdio } from "./output.ts";
 *
 * using nitro = await NitroClient.connect();
 * const line = await parseCommandLine({ name: "nitroctl", args: ["plot"] });
 * Deno.exit(await runPlot(nitro, line, stdio));
 * ```
 */
export async function runPlot(
  client: NitroClient,
  line: CommandLine,
  io: Output,
): Promise<number> {
  const { events, boot, now } = await historySnapshot(client.path);
  if (line.json) io.out(JSON.stringify(plotTimeline(events, boot, { now })));
  else io.out(plotSvg(events, boot, { now }).trimEnd());
  return EXIT.ok;
}
