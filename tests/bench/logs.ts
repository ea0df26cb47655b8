/**
 * Log throughput: lines from a service through nitro's log pipe into its
 * logger, against the same two programs joined by a plain pipe.
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
 * - cold: `sh -c 'producer | consumer'` against one request `up prod sink`:
 *   both ends start together, and nitro's start of the logger is in the
 *   time;
 * - warm: `sink` started first and `prod` sleeping 0.3 s before it
 *   produces, so the reader waits on the empty pipe and only the data flow
 *   is timed, against `sh -c '(sleep 0.3; setsid -w producer) | setsid -w
 *   consumer'`. The `setsid` matters: nitro runs every script in a session
 *   of its own, and with the kernel's autogroup scheduling a
 *   waiting reader in another session is measurably slower (seen here: 205
 *   against 179 ms without nitro at all). The same without `setsid` is
 *   printed for information, and so is a cold pipe with `setsid`.
 *
 * With the kernel's autogroup scheduling on (most distributions), the cold
 * pair misses its target in some runs: nitro's two sessions, one with the
 * producer's two processes and one with the consumer, share the CPU as two
 * groups, where the plain pipe's three processes share it as one. Seen
 * here in one run each: 0.84× with autogroup on, 0.95× with it off
 * (`sysctl kernel.sched_autogroup_enabled=0`). The line says which was on.
 *
 * Target: throughput through nitro ≥ 0.9 of the pipe's, in each pair.
 *
 * ```sh
 * deno task bench logs [--rounds=25] [--mb=200]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { NitroClient } from "../../mod.ts";
import {
  type Figure,
  median,
  Nitro,
  run,
  sleep,
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

/** Figures of one logs run. */
export interface LogsResult {
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
  /** `kernel.sched_autogroup_enabled`; null where it cannot be read. */
  autogroup: boolean | null;
}

/** Whether the kernel schedules each session as a group of its own. */
function autogroupEnabled(): boolean | null {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/sched_autogroup_enabled")
      .trim() === "1";
  } catch {
    return null;
  }
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

/**
 * Wait for the consumer's end stamp; the time from start to end in ms.
 * It waits on inotify, not by polling: a poll would take CPU from the
 * producer and the consumer while they run through nitro, and not while
 * they run as a plain pipe, which the bench waits for as its child.
 */
async function elapsed(dir: string, limitMs = 60_000): Promise<number> {
  const endPath = join(dir, "end");
  const watcher = Deno.watchFs(dir, { recursive: false });
  const timer = setTimeout(() => watcher.close(), limitMs);
  let end = await stamp(endPath);
  try {
    // The watcher was made first, so a stamp written since is not missed.
    if (end === null) {
      for await (const _ of watcher) {
        end = await stamp(endPath);
        if (end !== null) break;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      watcher.close();
    } catch {
      // Closed by the timer.
    }
  }
  const start = await stamp(join(dir, "start"));
  if (end === null || start === null) {
    throw new Error(`no end stamp in ${dir} after ${limitMs} ms`);
  }
  const ms = Number(end - start) / 1e6;
  if (ms <= 0) throw new Error("the consumer ended before the producer");
  return ms;
}

/** Run the logs section. */
export async function logs(
  opts: { rounds?: number; bytes?: number } = {},
): Promise<LogsResult> {
  const rounds = opts.rounds ?? 25;
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
    // Both in one request: whether a writer's start also brings up a logger
    // taken down by hand is a policy, not what is measured here. Sent from
    // this process, as the pipe's shell is started from it: a nitroctl
    // process would still be exiting while the producer runs.
    {
      using client = await NitroClient.connect(n.sock);
      await client.up(warm ? ["prod"] : ["prod", "sink"]);
    }
    const ms = await elapsed(stamps).catch(async (err) => {
      const list = await n.ctl(["list"]);
      throw new Error(
        `${err.message}\nnitroctl list:\n${list.stdout}${list.stderr}` +
          `nitro's stderr:\n${n.stderr.slice(-2000)}`,
      );
    });
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
        `logs: round ${i + 1}: ` +
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
      autogroup: autogroupEnabled(),
    };
  } finally {
    await n.stop();
  }
}

/** Target: throughput through nitro against the pipe's, in each pair. */
export const LOGS_RATIO_TARGET = 0.9;

/** The section's figures: both pairs, and the medians of every variant. */
export function logsFigures(r: LogsResult): Figure[] {
  const mbps = (v: Variant) =>
    `${(r.bytes / 1e6 / (r.medianMs[v] / 1000)).toFixed(0)} MB/s`;
  const all = (v: Variant) => r.ms[v].map((x) => x.toFixed(0)).join(", ");
  const size = `${r.bytes / 1e6} MB of log lines`;
  return [
    {
      what:
        `${size} through nitro into a logger started with the service, median of ${r.rounds}`,
      figure: `${mbps("nitroCold")} (rounds: ${all("nitroCold")} ms)`,
      baseline: `producer | consumer ${mbps("pipeCold")} (rounds: ${
        all("pipeCold")
      } ms; with a session each: ${mbps("pipeColdSessions")})`,
      compare: `${r.coldRatio.toFixed(2)}× the pipe's throughput (${
        r.coldSessionsRatio.toFixed(2)
      }× with a session each; kernel autogroup ${
        r.autogroup === null ? "unknown" : r.autogroup ? "on" : "off"
      })`,
      target: `≥ ${LOGS_RATIO_TARGET}×`,
      ok: r.coldRatio >= LOGS_RATIO_TARGET,
    },
    {
      what:
        `${size} through nitro into a logger already waiting, median of ${r.rounds}`,
      figure: `${mbps("nitroWarm")} (rounds: ${all("nitroWarm")} ms)`,
      baseline: `setsid producer | setsid consumer ${
        mbps("pipeWarmSessions")
      } (rounds: ${all("pipeWarmSessions")} ms; one session: ${
        mbps("pipeWarm")
      })`,
      compare: `${r.warmRatio.toFixed(2)}× the pipe's throughput`,
      target: `≥ ${LOGS_RATIO_TARGET}×`,
      ok: r.warmRatio >= LOGS_RATIO_TARGET,
    },
  ];
}
