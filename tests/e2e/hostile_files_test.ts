/**
 * A real nitro with hostile option files: `down-signal` and
 * `notification-fd` as a symlink to /dev/zero, a FIFO, a 300 MB file
 * (sparse) and a directory. nitro reads at most 64 bytes of a regular file
 * and nothing else: `list` answers, its memory stays small, each refused
 * file is named on the console, and the services run and stop as if the
 * file were absent.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro } from "../helpers/nitro.ts";

const RUN = "#!/bin/sh\nexec sleep 1000\n";

/** Ways to make an option file hostile, by the name of the service. */
const HOSTILE: Record<string, (path: string) => void> = {
  zero: (path) => Deno.symlinkSync("/dev/zero", path),
  fifo: (path) => {
    const r = new Deno.Command("mkfifo", { args: [path] }).outputSync();
    assert.equal(r.code, 0);
  },
  big: (path) => {
    Deno.writeTextFileSync(path, "");
    Deno.truncateSync(path, 300 * 2 ** 20);
  },
  dir: (path) => Deno.mkdirSync(path),
};

/** Resident memory of `pid`, in MiB. */
function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

Deno.test("hostile down-signal and notification-fd: list answers, memory stays small", async () => {
  const n = await Nitro.create();
  try {
    const names: string[] = [];
    for (const [kind, make] of Object.entries(HOSTILE)) {
      for (const file of ["down-signal", "notification-fd"]) {
        const name = `${kind}-${file}`;
        names.push(name);
        const dir = join(n.dir, name);
        Deno.mkdirSync(dir);
        Deno.writeTextFileSync(join(dir, "run"), RUN);
        Deno.chmodSync(join(dir, "run"), 0o755);
        make(join(dir, file));
      }
    }
    await n.start();
    // Every run started; the ones with a refused notification-fd become UP
    // by the timer, as without the file. The big one is a regular file:
    // its first 64 bytes (NULs) are no number, so readiness is manual.
    const expected = (s: string) =>
      s === "big-notification-fd" ? `STARTING ${s} ` : `UP ${s} `;
    await eventually(
      async () => {
        const list = await n.ctl(["-t", "5", "list"]);
        assert.equal(list.code, 0, list.stderr);
        return names.every((s) => list.stdout.includes(expected(s)));
      },
      20_000,
      () => `every service UP:\n${n.stderr}`,
    );
    // Stopped: down-signal is read now; refused, SIGTERM does it.
    const stop = await n.ctl(["-t", "20", "stop", ...names]);
    assert.equal(stop.code, 0, stop.stderr);
    const list = await n.ctl(["-t", "5", "list"]);
    assert.equal(list.code, 0);
    for (const s of names) assert.match(list.stdout, new RegExp(`DOWN ${s} `));
    for (const s of names) {
      const file = s.replace(/^[a-z]+-/, "");
      if (s.startsWith("big-")) continue; // A regular file: 64 bytes read.
      assert.match(
        n.stderr,
        new RegExp(`- nitro: ${s}: ${file}: not a regular file .*; ignored`),
      );
    }
    assert.match(
      n.stderr,
      /zero-down-signal: down-signal: not a regular file \(a character device\)/,
    );
    assert.match(
      n.stderr,
      /fifo-notification-fd: notification-fd: not a regular file \(a FIFO\)/,
    );
    assert.match(
      n.stderr,
      /dir-down-signal: down-signal: not a regular file \(a directory\)/,
    );
    const rss = rssMiB(n.pid);
    assert.ok(rss < 150, `nitro's RSS is ${rss.toFixed(0)} MiB`);
  } finally {
    await n.stop();
  }
});
