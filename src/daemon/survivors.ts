/**
 * No second copies after a crash of nitro. nitro records, for each service
 * process it starts, its process group and start time in one small file
 * per service in its private runtime directory (`,run,NAME`: no service
 * name holds a ",", so none is taken for the notify directory's `,notifyN`
 * and `,toN`), written when the process starts and removed when it ends.
 * A nitro killed outright (SIGKILL, OOM) leaves its records behind; the
 * next nitro on the same socket reads them before it starts anything and
 * stops what still runs: SIGTERM to each group, SIGKILL after 7 s, `finish`
 * not run. A record is trusted only as far as the kernel confirms it: the
 * leader must still have the recorded start time (field 22 of
 * /proc/PID/stat, so a reused pid is told apart) and lead its own group
 * and session, else nothing is signalled.
 *
 * @module
 */

import { join } from "node:path";
import type { Console } from "./host.ts";
import type { Children } from "./children.ts";
import { kill } from "./kill.ts";
import { probeProc } from "./proc_probe.ts";
import { isRunningRecord, lstatEntry, RECORD_PREFIX } from "./runtime_dir.ts";
import { KILL_AFTER_MS } from "../core/service.ts";

/** How often a start is read before nitro gives up recording it. */
const MAX_TRIES = 3;

/** What /proc/PID/stat says of a live process that matters here. */
export interface ProcStat {
  pgrp: number;
  session: number;
  /** Start time in clock ticks after boot, as the kernel wrote it. */
  start: string;
  zombie: boolean;
}

/** Parse the text of /proc/PID/stat; null if it is not one. */
export function parseProcStat(text: string): ProcStat | null {
  // The command name (field 2) may hold spaces and parentheses: the fields
  // go on after the last ")".
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (the state); field N is fields[N - 3].
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const start = fields[19];
  if (!Number.isInteger(pgrp) || !Number.isInteger(session)) return null;
  if (start === undefined || !/^\d+$/.test(start)) return null;
  return { pgrp, session, start, zombie: fields[0] === "Z" };
}

/**
 * /proc/PID/stat of each of `pids` that still exists. Deno refuses nitro
 * /proc short of `--allow-all`, so a short-lived `/bin/sh` reads them (one
 * for all of them) and nitro parses its answer; one of nitro's `children`
 * (pid 1 must not reap it).
 */
export async function readStats(
  pids: readonly number[],
  children: Children,
): Promise<Map<number, ProcStat>> {
  const stats = new Map<number, ProcStat>();
  if (pids.length === 0) return stats;
  // Each line read whole, or not at all (the process is gone).
  const answer = await probeProc(
    'for p; do { read -r s; } </proc/"$p"/stat 2>/dev/null && echo "$s"; done',
    pids.map(String),
    children,
  );
  if (answer === null) return stats;
  for (const line of answer.text.split("\n")) {
    const pid = Number(line.slice(0, line.indexOf(" ")));
    const stat = parseProcStat(line);
    if (stat !== null && Number.isInteger(pid)) stats.set(pid, stat);
  }
  return stats;
}

/** One record: the group leader's pid and its start time. */
export interface Record {
  pgid: number;
  start: string;
}

/** Parse a record file's text (`PGID START`); null if it is not one. */
export function parseRecord(text: string): Record | null {
  const m = /^(\d{1,10}) (\d{1,20})\n$/.exec(text);
  if (m === null) return null;
  const pgid = Number(m[1]);
  return pgid > 1 ? { pgid, start: m[2] } : null;
}

/**
 * Whether the process `pgid` is the one `record` names, alive: same start
 * time, leading its own group and session.
 */
export function confirmed(record: Record, stat: ProcStat | null): boolean {
  return stat !== null && !stat.zombie && stat.start === record.start &&
    stat.pgrp === record.pgid && stat.session === record.pgid;
}

/**
 * The records of the running service processes of this nitro. A start is
 * recorded once a shell has read the process's start time (one shell for
 * the starts of a burst, not one per start); an end removes the record.
 */
export class RunningRecords {
  /** The process of each service, as last started. */
  #current = new Map<string, number>();
  /** Started, start time not read yet. */
  #pending = new Map<string, number>();
  #reading = false;
  /** Reads of a start that found no session of its own yet. */
  #tries = new Map<string, number>();

  constructor(readonly dir: RecordsDir, readonly children: Children) {}

  /** `name`'s process `pid` (a group and session of its own) started. */
  started(name: string, pid: number): void {
    this.#current.set(name, pid);
    this.#pending.set(name, pid);
    if (!this.#reading) this.#record();
  }

  /** `name`'s process ended. */
  ended(name: string): void {
    this.#current.delete(name);
    this.#pending.delete(name);
    this.#tries.delete(name);
    this.#remove(name);
  }

  async #record(): Promise<void> {
    this.#reading = true;
    while (this.#pending.size > 0) {
      const batch = [...this.#pending];
      this.#pending.clear();
      const stats = await readStats(batch.map(([, pid]) => pid), this.children);
      // Written only into the very directory nitro made (checked once for
      // the batch), and as new files: never through whatever else could
      // have been put there.
      let dirIsOurs = true;
      try {
        this.dir.verify();
      } catch {
        dirIsOurs = false;
      }
      for (const [name, pid] of batch) {
        const stat = stats.get(pid);
        // Ended meanwhile (or started again: that start is pending).
        if (this.#current.get(name) !== pid || stat === undefined) continue;
        if (!confirmed({ pgid: pid, start: stat.start }, stat)) {
          // Read before setsid(1) made its session: look once more.
          const tries = (this.#tries.get(name) ?? 0) + 1;
          this.#tries.set(name, tries);
          if (tries < MAX_TRIES) this.#pending.set(name, pid);
          continue;
        }
        this.#tries.delete(name);
        if (!dirIsOurs) continue;
        this.#remove(name);
        try {
          Deno.writeTextFileSync(this.#path(name), `${pid} ${stat.start}\n`, {
            mode: 0o600,
            createNew: true,
          });
        } catch {
          // A full or read-only /run: supervision goes on without it.
        }
      }
    }
    this.#reading = false;
  }

  #path(name: string): string {
    return join(this.dir.path, RECORD_PREFIX + name);
  }

  #remove(name: string): void {
    try {
      Deno.removeSync(this.#path(name));
    } catch {
      // Not there (never written, or ended already).
    }
  }
}

/** The runtime directory as the records need it (see runtime_dir.ts). */
export interface RecordsDir {
  readonly path: string;
  /** Throws unless the directory is still nitro's own. */
  verify(): void;
}

/** A process group of a previous nitro, still running. */
export interface Survivor {
  name: string;
  record: Record;
}

/**
 * Read and remove the records a previous nitro left in `dir`; the ones
 * whose process still runs, confirmed by the kernel.
 */
export async function findSurvivors(
  dir: string,
  children: Children,
): Promise<Survivor[]> {
  const recorded: Survivor[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    const info = lstatEntry(path);
    if (info === null || !isRunningRecord(entry.name, info)) continue;
    let record: Record | null = null;
    try {
      using file = Deno.openSync(path, { read: true });
      const bytes = new Uint8Array(64);
      const n = file.readSync(bytes) ?? 0;
      record = parseRecord(new TextDecoder().decode(bytes.subarray(0, n)));
    } catch {
      // Unreadable: nothing to go by.
    }
    Deno.removeSync(path);
    const name = entry.name.slice(RECORD_PREFIX.length);
    if (record !== null) recorded.push({ name, record });
  }
  const stats = await readStats(recorded.map((s) => s.record.pgid), children);
  return recorded
    .filter((s) => confirmed(s.record, stats.get(s.record.pgid) ?? null))
    .sort((a, b) => a.name < b.name ? -1 : 1);
}

/**
 * Stop the survivors of a previous nitro in `dir` before anything starts:
 * SIGTERM (and SIGCONT) to each group; SIGKILL to the ones still there
 * after 7 s. Says what it found and did on `console`. While it waits, it
 * looks again at growing intervals (10 ms, doubling): these processes are
 * not nitro's children, so no exit of theirs reaches it.
 */
export async function stopSurvivors(
  dir: string,
  console: Console,
  children: Children,
): Promise<void> {
  const survivors = await findSurvivors(dir, children);
  if (survivors.length === 0) return;
  const list = survivors.map((s) => `${s.name} (pid ${s.record.pgid})`);
  console.say(
    `- nitro: a previous nitro left ${survivors.length} service ` +
      `process${survivors.length === 1 ? "" : "es"} running: ` +
      `${list.join(", ")}; stopping them (finish is not run)`,
  );
  for (const { record } of survivors) {
    kill(-record.pgid, "SIGTERM");
    kill(-record.pgid, "SIGCONT");
  }
  const alive = async () => {
    const stats = await readStats(
      survivors.map((s) => s.record.pgid),
      children,
    );
    return survivors.filter((s) =>
      confirmed(s.record, stats.get(s.record.pgid) ?? null)
    );
  };
  const deadline = performance.now() + KILL_AFTER_MS;
  let wait = 10;
  let left = await alive();
  while (left.length > 0 && performance.now() < deadline) {
    const ms = Math.min(wait, deadline - performance.now());
    await new Promise((resolve) => setTimeout(resolve, ms));
    wait *= 2;
    left = await alive();
  }
  for (const { record } of left) kill(-record.pgid, "SIGKILL");
  if (left.length > 0) {
    console.say(
      `- nitro: killed ${left.map((s) => s.name).join(", ")} ` +
        `(still running ${KILL_AFTER_MS / 1000} s after SIGTERM)`,
    );
  }
}
