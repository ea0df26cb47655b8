/**
 * Tests of src/daemon/survivors.ts on real processes in a temporary
 * directory, no nitro started: records written and removed as services
 * start and end, and what a later nitro makes of the records it finds.
 * `parseProcStat`, `readStats` and `confirmed`, and a real `kill -9` of
 * nitro with services running, are tested in tests/e2e/survivors_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Children } from "../../src/daemon/children.ts";
import type { Console } from "../../src/daemon/host.ts";
import { RECORD_PREFIX, RuntimeDir } from "../../src/daemon/runtime_dir.ts";
import {
  findSurvivors,
  parseProcStat,
  parseRecord,
  RunningRecords,
  stopSurvivors,
} from "../../src/daemon/survivors.ts";
import { eventually } from "../helpers/nitro.ts";

/** A process leading a session and group of its own, as a service runs. */
function service(): Deno.ChildProcess {
  return new Deno.Command("sleep", {
    args: ["60"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
}

/** Start time of `pid` (field 22 of /proc/PID/stat). */
function startOf(pid: number): string {
  return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`))!.start;
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Ended.
  }
  await child.status;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "survivors_test_" });
  Deno.chmodSync(dir, 0o700);
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function console(): Console & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    say: (line) => lines.push(line),
    write: (text) => lines.push(text),
    flush: () => Promise.resolve(true),
  };
}

Deno.test("parseRecord: `PGID START` and a newline, nothing else", () => {
  assert.deepEqual(parseRecord("42 1000\n"), { pgid: 42, start: "1000" });
  assert.deepEqual(parseRecord("4194304 18446744073709551615\n"), {
    pgid: 4194304,
    start: "18446744073709551615", // Kept as text: no precision lost.
  });
  for (
    const bad of [
      "42 1000",
      "42 1000\n\n",
      "42  1000\n",
      " 42 1000\n",
      "0 1000\n",
      "42 x\n",
      "12345678901 1\n",
      "",
    ]
  ) {
    assert.equal(parseRecord(bad), null, JSON.stringify(bad));
  }
});

Deno.test("RunningRecords: a start is recorded with the kernel's start time, 0600; its end removes it", async () => {
  await withDir(async (dir) => {
    const children = new Children();
    const runtime = RuntimeDir.open(join(dir, "nitro.sock.d"));
    const records = new RunningRecords(runtime, children);
    const child = service();
    try {
      records.started("web", child.pid);
      const path = join(runtime.path, `${RECORD_PREFIX}web`);
      await eventually(() => exists(path), 10_000, "the record");
      assert.equal(
        Deno.readTextFileSync(path),
        `${child.pid} ${startOf(child.pid)}\n`,
      );
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      assert.equal(children.size, 0, "the shell that read it is reaped");
      records.ended("web");
      assert.equal(exists(path), false);
      records.ended("web"); // Twice: nothing more.
    } finally {
      await stop(child);
    }
  });
});

Deno.test("RunningRecords: no record where the runtime directory is not nitro's any more, and never through a symlink", async () => {
  await withDir(async (dir) => {
    const target = join(dir, "victim");
    Deno.writeTextFileSync(target, "precious\n");
    const link = join(dir, `${RECORD_PREFIX}web`);
    Deno.symlinkSync(target, link);
    let checks = 0;
    let ours = false;
    const runtimeDir = {
      path: dir,
      verify() {
        checks++;
        if (!ours) throw new Error("not the directory nitro made");
      },
    };
    const children = new Children();
    const records = new RunningRecords(runtimeDir, children);
    const child = service();
    try {
      records.started("web", child.pid);
      await eventually(() => checks === 1, 10_000, "the check");
      assert.ok(Deno.lstatSync(link).isSymlink, "left as it was");
      records.ended("web");
      Deno.symlinkSync(target, link);
      ours = true;
      records.started("web", child.pid);
      await eventually(() => Deno.lstatSync(link).isFile, 10_000, "record");
      assert.equal(Deno.readTextFileSync(target), "precious\n");
      assert.equal(
        Deno.readTextFileSync(link),
        `${child.pid} ${startOf(child.pid)}\n`,
      );
    } finally {
      await stop(child);
    }
  });
});

Deno.test("findSurvivors: only records the kernel confirms, sorted by name; every record is removed", async () => {
  await withDir(async (dir) => {
    const a = service();
    const b = service();
    try {
      const write = (name: string, text: string, mode = 0o600) =>
        Deno.writeTextFileSync(join(dir, `${RECORD_PREFIX}${name}`), text, {
          mode,
        });
      write("zz", `${a.pid} ${startOf(a.pid)}\n`);
      write("aa", `${b.pid} ${startOf(b.pid)}\n`);
      // The same pid, another start time: a reused pid, not ours.
      write("stale", `${a.pid} 1\n`);
      write("garbage", "not a record\n");
      // This test's process: alive, but no session leader of its own pid.
      write("self", `${Deno.pid} ${startOf(Deno.pid)}\n`);
      // Readable by others: not one of nitro's records, left alone.
      write("open", `${a.pid} ${startOf(a.pid)}\n`, 0o644);
      Deno.chmodSync(join(dir, `${RECORD_PREFIX}open`), 0o644);
      Deno.writeTextFileSync(join(dir, "other"), "x");

      const found = await findSurvivors(dir, new Children());
      assert.deepEqual(found, [
        { name: "aa", record: { pgid: b.pid, start: startOf(b.pid) } },
        { name: "zz", record: { pgid: a.pid, start: startOf(a.pid) } },
      ]);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        [`${RECORD_PREFIX}open`, "other"],
      );
    } finally {
      await stop(a);
      await stop(b);
    }
  });
});

Deno.test("stopSurvivors: SIGTERM to each survivor's group, said on the console", async () => {
  await withDir(async (dir) => {
    const a = service();
    const b = service();
    try {
      for (const [name, child] of [["one", a], ["two", b]] as const) {
        Deno.writeTextFileSync(
          join(dir, `${RECORD_PREFIX}${name}`),
          `${child.pid} ${startOf(child.pid)}\n`,
          { mode: 0o600 },
        );
      }
      const out = console();
      await stopSurvivors(dir, out, new Children());
      assert.equal((await a.status).signal, "SIGTERM");
      assert.equal((await b.status).signal, "SIGTERM");
      assert.deepEqual(out.lines, [
        `- nitro: a previous nitro left 2 service processes running: ` +
        `one (pid ${a.pid}), two (pid ${b.pid}); stopping them (finish is not run)`,
      ]);
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await stop(a);
      await stop(b);
    }
  });
});

Deno.test("stopSurvivors: no records, no survivors: nothing said, nothing signalled", async () => {
  await withDir(async (dir) => {
    const out = console();
    await stopSurvivors(dir, out, new Children());
    assert.deepEqual(out.lines, []);
  });
});
