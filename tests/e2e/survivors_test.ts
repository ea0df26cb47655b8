/**
 * No second copies after a crash of nitro: `kill -9` a nitro with 5
 * services running and start another on the same socket; it stops the
 * survivors first (saying so), and afterwards exactly one copy of each
 * service runs, counted by session (every script leads one, in its
 * service's directory), not by name. A forged or stale record never makes
 * nitro signal a process that is not the one recorded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  confirmed,
  parseProcStat,
  parseRecord,
  type ProcStat,
  readStats,
} from "../../src/daemon/survivors.ts";
import { Children } from "../../src/daemon/children.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";

const NAMES = ["a", "b", "c", "d", "e"];

/** /proc/PID/stat, read directly (the test may). */
function procStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** Session leaders whose working directory is `dir`, by pid. */
function sessionsIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    const stat = procStat(pid);
    if (stat === null || stat.zombie || stat.session !== pid) continue;
    try {
      if (Deno.readLinkSync(`/proc/${pid}/cwd`) === dir) found.push(pid);
    } catch {
      // Gone, or not readable.
    }
  }
  return found;
}

Deno.test("parseProcStat reads past a command name with spaces and parentheses", () => {
  const text = "123 (a (b) c) S 1 123 123 0 -1 4194560 " +
    "1 2 3 4 5 6 7 8 20 0 1 0 987654 1 2\n";
  assert.deepEqual(parseProcStat(text), {
    pgrp: 123,
    session: 123,
    start: "987654",
    zombie: false,
  });
  assert.equal(parseProcStat("garbage"), null);
});

Deno.test("readStats reads /proc through a shell, skipping the gone", async () => {
  const stats = await readStats([Deno.pid, 999_999_999], new Children());
  assert.deepEqual(stats.get(Deno.pid), procStat(Deno.pid));
  assert.equal(stats.has(999_999_999), false);
});

Deno.test("a record is trusted only as the kernel confirms it", () => {
  assert.deepEqual(parseRecord("42 1000\n"), { pgid: 42, start: "1000" });
  assert.equal(parseRecord("1 1000\n"), null); // Never pid 1.
  assert.equal(parseRecord("-5 1000\n"), null);
  assert.equal(parseRecord("42 1000 x\n"), null);
  const self = procStat(Deno.pid)!;
  // This test's own process: not a session leader of that pid.
  const forged = { pgid: Deno.pid, start: self.start };
  assert.equal(
    confirmed(forged, self),
    self.pgrp === Deno.pid && self.session === Deno.pid,
  );
  const stale = { pgid: 42, start: "1" };
  assert.equal(
    confirmed(stale, { pgrp: 42, session: 42, start: "2", zombie: false }),
    false,
  );
  assert.equal(
    confirmed(stale, { pgrp: 42, session: 7, start: "1", zombie: false }),
    false,
  );
});

Deno.test("kill -9 nitro with 5 services running, start it again: one copy of each", async () => {
  const services = Object.fromEntries(
    NAMES.map((name) => [name, {
      // A child of its own too: the whole group goes.
      run: "#!/bin/sh\nsleep 1000 &\nexec sleep 1000\n",
    }]),
  );
  const n = await Nitro.create(services);
  const leaders = new Set<number>();
  const dirs = NAMES.map((name) => Deno.realPathSync(join(n.dir, name)));
  try {
    await n.start();
    await eventually(
      async () => {
        const s = await n.states();
        return NAMES.every((name) => s[name]?.state === "UP");
      },
      20_000,
      "5 services UP",
    );
    for (const dir of dirs) sessionsIn(dir).forEach((p) => leaders.add(p));
    assert.equal(leaders.size, 5);
    Deno.kill(n.pid, "SIGKILL");
    await n.exitStatus;
    // Orphans now, still running.
    for (const dir of dirs) assert.equal(sessionsIn(dir).length, 1);

    await n.start();
    await eventually(
      async () => {
        const s = await n.states();
        return NAMES.every((name) => s[name]?.state === "UP");
      },
      30_000,
      () => `5 services UP again:\n${n.stderr}`,
    );
    for (const dir of dirs) {
      const now = sessionsIn(dir);
      now.forEach((p) => leaders.add(p));
      assert.equal(now.length, 1, `${dir}: ${now.length} copies\n${n.stderr}`);
    }
    const s = await n.states();
    for (const name of NAMES) assert.ok(!leaders.has(-1) && s[name].pid);
    assert.match(
      n.stderr,
      /a previous nitro left 5 service processes running: a \(pid \d+\), b /,
    );
  } finally {
    await n.stop();
    for (const pid of leaders) {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
});
