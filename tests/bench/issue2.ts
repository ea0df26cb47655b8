/**
 * Issue-2 benchmark: what an idle nitro costs with 100 services, and what a
 * `nitroctl` call costs on top of Deno's own start-up.
 *
 * 1. nitro on 100 services `svc1..svc100` (`exec sleep 1000`), waited on
 *    with `nitroctl start` until all are UP;
 * 2. its RSS (VmRSS) and its CPU ticks (utime+stime of all its threads)
 *    over 10 idle seconds: targets ≤ 45 MB and 0 ticks;
 * 3. the median wall time of `nitroctl pidof svc1` against a `deno run` of
 *    an empty script with the same flags, interleaved, in this same run:
 *    target ratio ≤ 1.3.
 *
 * ```sh
 * deno task bench issue2 [--runs=30] [--idle=10]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS } from "../../ci/permissions.ts";
import {
  cpuTicks,
  median,
  Nitro,
  nitroctlArgs,
  report,
  rssKb,
  run,
  type ServiceFiles,
  sleep,
  verdict,
} from "./common.ts";

/** Figures of one issue-2 run. */
export interface Issue2Result {
  services: number;
  rssKb: number;
  rssKbAfterCalls: number;
  idleTicks: number;
  idleSeconds: number;
  ctlMedianMs: number;
  bareMedianMs: number;
  ratio: number;
  runs: number;
}

export async function issue2(
  opts: { services?: number; runs?: number; idleSeconds?: number } = {},
): Promise<Issue2Result> {
  const count = opts.services ?? 100;
  const runs = opts.runs ?? 30;
  const idleSeconds = opts.idleSeconds ?? 10;
  const services: Record<string, ServiceFiles> = {};
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    names.push(`svc${i}`);
    services[`svc${i}`] = { run: "#!/bin/sh\nexec sleep 1000\n" };
  }
  const n = await Nitro.create(services);
  try {
    await n.start();
    const t0 = performance.now();
    const started = await n.ctl(["-t", "60", "start", ...names]);
    if (started.code !== 0) throw new Error(`start: ${started.stderr}`);
    const states = await n.states();
    const up = names.filter((s) => states[s]?.state === "UP").length;
    if (up !== count) throw new Error(`only ${up} of ${count} are UP`);
    console.error(
      `issue2: ${count} services UP after ${
        Math.round(performance.now() - t0)
      } ms; idling ${idleSeconds} s`,
    );

    // Let the start-up settle (the clients that just talked to it), then
    // watch it do nothing.
    await sleep(1000);
    const before = cpuTicks(n.pid);
    await sleep(idleSeconds * 1000);
    const idleTicks = cpuTicks(n.pid) - before;
    const rss = rssKb(n.pid);

    // nitroctl against a bare deno run, interleaved, after warm-ups.
    const empty = join(n.root, "empty.ts");
    await Deno.writeTextFile(empty, "");
    const env = n.env();
    const bareArgs = ["run", "--quiet", ...PERMISSIONS.nitroctl, empty];
    const ctlArgs = nitroctlArgs(["pidof", "svc1"]);
    const deno = Deno.execPath();
    for (let i = 0; i < 3; i++) {
      await run(deno, bareArgs, { env });
      await run(deno, ctlArgs, { env });
    }
    const pid = (await run(deno, ctlArgs, { env })).stdout.trim();
    if (Number(pid) !== states.svc1.pid) {
      throw new Error(`pidof svc1 printed ${pid}, not ${states.svc1.pid}`);
    }
    const ctl: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so neither always follows the other.
      if (i % 2 === 0) {
        bare.push((await run(deno, bareArgs, { env })).ms);
        ctl.push((await run(deno, ctlArgs, { env })).ms);
      } else {
        ctl.push((await run(deno, ctlArgs, { env })).ms);
        bare.push((await run(deno, bareArgs, { env })).ms);
      }
    }
    const ctlMedianMs = median(ctl);
    const bareMedianMs = median(bare);
    return {
      services: count,
      rssKb: rss,
      rssKbAfterCalls: rssKb(n.pid),
      idleTicks,
      idleSeconds,
      ctlMedianMs,
      bareMedianMs,
      ratio: ctlMedianMs / bareMedianMs,
      runs,
    };
  } finally {
    await n.stop();
  }
}

/** Print an {@link Issue2Result} with the targets. */
export function printIssue2(r: Issue2Result): void {
  const mb = r.rssKb / 1024;
  report(`issue 2: idle nitro with ${r.services} services`, [
    [
      "daemon RSS",
      `${mb.toFixed(1)} MB (${r.rssKb} kB)  target ≤ 45 MB  ${
        verdict(mb <= 45)
      }`,
    ],
    ["RSS after the calls", `${(r.rssKbAfterCalls / 1024).toFixed(1)} MB`],
    [
      `CPU over ${r.idleSeconds} s idle`,
      `${r.idleTicks} ticks  target 0  ${verdict(r.idleTicks === 0)}`,
    ],
    [
      "nitroctl pidof svc1",
      `median ${r.ctlMedianMs.toFixed(1)} ms (${r.runs} runs)`,
    ],
    [
      "deno run empty.ts",
      `median ${r.bareMedianMs.toFixed(1)} ms (${r.runs} runs)`,
    ],
    [
      "ratio",
      `${r.ratio.toFixed(2)}  target ≤ 1.3  ${verdict(r.ratio <= 1.3)}`,
    ],
  ]);
}
