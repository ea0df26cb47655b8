/**
 * Issue-3 benchmark: log throughput through nitro against a plain pipe.
 *
 * The same two programs run both ways, in the same run, interleaved:
 *
 * - producer: stamps the time, then writes 200 MB of 100-byte lines
 *   (`yes <99 x> | head -c 200000000`);
 * - consumer: reads exactly that many bytes (`head -c 200000000 >
 *   /dev/null`), then stamps the time.
 *
 * The time measured is the producer's start stamp → the consumer's end
 * stamp, both taken by the scripts themselves. Through nitro, service `prod`
 * runs the producer with `log -> ../sink` and `sink` runs the consumer, so
 * the bytes go through nitro's log pipe for `sink`; both then sleep (so
 * nothing restarts) until the bench stops them.
 *
 * Two matched pairs, because how a pipe performs depends on whether its
 * reader is already waiting when the writer starts:
 *
 * - cold: `sh -c 'producer | consumer'` against `nitroctl up prod`, which
 *   starts `sink` (spec §4: a logger starts with its first writer): both
 *   ends start together, and nitro's start of the logger is in the time;
 * - warm: `sink` started first and `prod` sleeping 0.3 s before it
 *   produces, so the reader waits on the empty pipe and only the data flow
 *   is timed, against `sh -c '(sleep 0.3; setsid -w producer) | setsid -w
 *   consumer'`. The `setsid` matters: nitro runs every script in a session
 *   of its own (spec §1), and with the kernel's autogroup scheduling a
 *   waiting reader in another session is measurably slower (seen here: 205
 *   against 179 ms without nitro at all). The same without `setsid` is
 *   printed for information, and so is a cold pipe with `setsid`.
 *
 * Target: throughput through nitro ≥ 0.9 of the pipe's, in each pair.
 *
 * ```sh
 * deno task bench issue3 [--rounds=9] [--mb=200]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import {
  median,
  Nitro,
  report,
  run,
  sleep,
  verdict,
  writeServices,
} from "./common.ts";

/** Timings of one variant, in ms per round. */
export type Variant =
  | "pipeCold"
  | "pipeColdSessions"
  | "nitroCold"
  | "pipeWarm"
  | "pipeWarmSessions"
  | "nitroWarm";

/** Figures of one issue-3 run. */
export interface Issue3Result {
  bytes: number;
  rounds: number;
  ms: Record<Variant, number[]>;
  medianMs: Record<Variant, number>;
  /** Throughput through nitro / through the plain pipe, both ends cold. */
  coldRatio: number;
  /** Cold, against a pipe whose ends each have a session of their own. */
  coldSessionsRatio: number;
  /** The same with the reader already waiting, each end in its session. */
  warmRatio: number;
  /** Warm, against a pipe whose ends share one session. */
  warmPlainRatio: number;
}

/** How long `prod` and the warm baseline wait before producing. */
const SETTLE_S = 0.3;

async function stamp(path: string): Promise<bigint | null> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return text === "" ? null : BigInt(text);
  } catch {
    return null;
  }
}

/** Wait for the consumer's end stamp; the time from start to end in ms. */
async function elapsed(dir: string, limitMs = 120_000): Promise<number> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    const end = await stamp(join(dir, "end"));
    const start = await stamp(join(dir, "start"));
    if (end !== null && start !== null) {
      const ms = Number(end - start) / 1e6;
      if (ms <= 0) throw new Error("the consumer ended before the producer");
      return ms;
    }
    await sleep(20);
  }
  throw new Error(`no end stamp in ${dir} after ${limitMs} ms`);
}

export async function issue3(
  opts: { rounds?: number; bytes?: number } = {},
): Promise<Issue3Result> {
  const rounds = opts.rounds ?? 9;
  const bytes = opts.bytes ?? 200_000_000;
  const line = "x".repeat(99);
  const n = await Nitro.create({});
  const stamps = join(n.root, "stamps");
  const start = join(stamps, "start");
  const end = join(stamps, "end");
  const settle = join(stamps, "settle");
  await Deno.mkdir(stamps);
  const producer = join(n.root, "producer.sh");
  const consumer = join(n.root, "consumer.sh");
  await Deno.writeTextFile(
    producer,
    `#!/bin/sh\ndate +%s%N > "$1"\nyes ${line} | head -c ${bytes}\n`,
  );
  await Deno.writeTextFile(
    consumer,
    `#!/bin/sh\nhead -c ${bytes} > /dev/null\ndate +%s%N > "$1"\n`,
  );
  await Deno.chmod(producer, 0o755);
  await Deno.chmod(consumer, 0o755);
  writeServices(n.dir, {
    prod: {
      run: `#!/bin/sh\n[ -e ${settle} ] && sleep ${SETTLE_S}\n` +
        `${producer} ${start}\nexec sleep 100000\n`,
      log: { link: "../sink" },
      down: "",
    },
    sink: {
      run: `#!/bin/sh\n${consumer} ${end}\nexec sleep 100000\n`,
      down: "",
    },
  });

  const clear = async () => {
    for (const f of [start, end]) await Deno.remove(f).catch(() => {});
  };
  const ctl = async (args: string[]) => {
    const r = await n.ctl(args);
    if (r.code !== 0) {
      throw new Error(`nitroctl ${args.join(" ")}: ${r.stderr}`);
    }
  };
  const viaNitro = async (warm: boolean): Promise<number> => {
    await clear();
    if (warm) {
      await Deno.writeTextFile(settle, "");
      await ctl(["up", "sink"]);
      await sleep(200);
    } else {
      await Deno.remove(settle).catch(() => {});
    }
    await ctl(["up", "prod"]);
    const ms = await elapsed(stamps);
    await ctl(["-t", "30", "stop", "prod", "sink"]);
    return ms;
  };
  const viaPipe = async (warm: boolean, sessions = false): Promise<number> => {
    await clear();
    const own = sessions ? "setsid -w " : "";
    const p = `${own}${producer} ${start}`;
    await run("/bin/sh", [
      "-c",
      `${warm ? `(sleep ${SETTLE_S}; ${p})` : p} | ${own}${consumer} ${end}`,
    ]);
    return await elapsed(stamps);
  };
  const variants: Record<Variant, () => Promise<number>> = {
    pipeCold: () => viaPipe(false),
    pipeColdSessions: () => viaPipe(false, true),
    nitroCold: () => viaNitro(false),
    pipeWarm: () => viaPipe(true),
    pipeWarmSessions: () => viaPipe(true, true),
    nitroWarm: () => viaNitro(true),
  };
  const names = Object.keys(variants) as Variant[];

  try {
    await n.start();
    // One warm-up each (page cache, first spawns). The cold nitro one goes
    // first: nitro gives `sink` its pipe as stdin only once it knows `sink`
    // as a logger, i.e. after `prod` has been started once.
    await variants.nitroCold();
    for (const v of names) await variants[v]();
    const ms = Object.fromEntries(
      names.map((v) => [v, [] as number[]]),
    ) as Record<Variant, number[]>;
    for (let i = 0; i < rounds; i++) {
      // Rotate the order, so that none always follows another.
      for (let j = 0; j < names.length; j++) {
        const v = names[(i + j) % names.length];
        ms[v].push(await variants[v]());
      }
      console.error(
        `issue3: round ${i + 1}: ` +
          names.map((v) => `${v} ${ms[v].at(-1)!.toFixed(0)} ms`).join(", "),
      );
    }
    const medianMs = Object.fromEntries(
      names.map((v) => [v, median(ms[v])]),
    ) as Record<Variant, number>;
    return {
      bytes,
      rounds,
      ms,
      medianMs,
      coldRatio: medianMs.pipeCold / medianMs.nitroCold,
      coldSessionsRatio: medianMs.pipeColdSessions / medianMs.nitroCold,
      warmRatio: medianMs.pipeWarmSessions / medianMs.nitroWarm,
      warmPlainRatio: medianMs.pipeWarm / medianMs.nitroWarm,
    };
  } finally {
    await n.stop();
  }
}

/** Print an {@link Issue3Result} with the target. */
export function printIssue3(r: Issue3Result): void {
  const line = (v: Variant) => {
    const m = r.medianMs[v];
    const mbps = (r.bytes / 1e6 / (m / 1000)).toFixed(0);
    const all = r.ms[v].map((x) => x.toFixed(0)).join(", ");
    return `median ${m.toFixed(0)} ms = ${mbps} MB/s  (${all})`;
  };
  report(`issue 3: ${r.bytes / 1e6} MB of log lines, ${r.rounds} rounds`, [
    ["cold: producer | consumer", line("pipeCold")],
    ["cold: prod -> nitro -> sink", line("nitroCold")],
    [
      "cold ratio (nitro/pipe)",
      `${r.coldRatio.toFixed(2)}  target ≥ 0.9  ${verdict(r.coldRatio >= 0.9)}`,
    ],
    ["cold: setsid producer | setsid consumer", line("pipeColdSessions")],
    [
      "cold ratio (nitro/pipe, own sessions)",
      `${r.coldSessionsRatio.toFixed(2)}  (information)`,
    ],
    ["warm: setsid producer | setsid consumer", line("pipeWarmSessions")],
    ["warm: prod -> nitro -> sink", line("nitroWarm")],
    [
      "warm ratio (nitro/pipe, own sessions)",
      `${r.warmRatio.toFixed(2)}  target ≥ 0.9  ${verdict(r.warmRatio >= 0.9)}`,
    ],
    ["warm: producer | consumer, one session", line("pipeWarm")],
    [
      "warm ratio (nitro/pipe, one session)",
      `${r.warmPlainRatio.toFixed(2)}  (information)`,
    ],
  ]);
}
