/**
 * Readiness notification through a real nitro: a `run` calling the real
 * `nitroctl ready .` (notification-fd 0), and 200 services writing their
 * newline at once. The rest is tested without a nitro process: the pipe at
 * fd N (3, 9, 37; S_ISFIFO; `>&N` and `/dev/fd/N`; bytes without a
 * newline; the 4 KiB bound) with a Spawner in tests/daemon/spawn_test.ts,
 * what a newline, a timer or `ready` does to the state in
 * tests/core/machine_test.ts and tests/daemon/supervisor_test.ts (virtual
 * clock), how notification-fd is read in tests/config/names_test.ts.
 */

import { ok, strictEqual } from "node:assert/strict";
import { dirname, join } from "node:path";
import { ctlScript, EventLog, readOr } from "../helpers/daemon.ts";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";

/** The 2 s after which a service without `notification-fd` is UP. */
const TIMER_MS = 2000;

Deno.test("readiness: fd 0 means `nitroctl ready .` from the run script", async () => {
  const n = await Nitro.create({
    manual: {
      run: "#!/bin/sh\nnitroctl ready . || echo failed > failed\n" +
        "exec sleep 1000\n",
      "notification-fd": "0",
    },
    "inst@": {
      run: "#!/bin/sh\nnitroctl ready . || echo failed > failed\n" +
        "exec sleep 1000\n",
      "notification-fd": "0",
    },
  });
  // The scripts call the real nitroctl through a launcher on their PATH.
  const bin = dirname(ctlScript(n));
  try {
    await n.start({ env: { PATH: `${bin}:${Deno.env.get("PATH")}` } });
    strictEqual((await n.ctl(["-t", "10", "start", "inst@a"])).code, 0);
    const r = await n.ctl(["-t", "10", "wait-up", "manual"]);
    strictEqual(r.code, 0, r.stderr);
    const log = await EventLog.open(n.sock);
    try {
      await log.waitFor((e) => e.name === "manual" && e.state === "UP");
      strictEqual(log.states("manual").join(" "), "STARTING UP");
      strictEqual(readOr(`${n.dir}/manual/failed`), "");
      strictEqual(readOr(`${n.dir}/inst@/failed`), "");
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: 200 services notifying at once all come UP by their newline", async () => {
  const count = 200;
  const n = await Nitro.create({});
  // The gate: a FIFO holding one line per service, written once all are
  // STARTING, so that starting 200 processes (which keeps nitro busy) is
  // over when the newlines come. Held open read-write: never blocks.
  // After the newline, each waits on `hold`, which never has data: no
  // process starts or ends while nitro reads the 200 newlines.
  const gate = join(n.root, "gate");
  const hold = join(n.root, "hold");
  const made = await new Deno.Command("mkfifo", { args: [gate, hold] })
    .output();
  strictEqual(made.code, 0);
  using gateFile = Deno.openSync(gate, { read: true, write: true });
  using _holdFile = Deno.openSync(hold, { read: true, write: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push(`s${i}`);
    writeServices(n.dir, {
      [`s${i}`]: {
        run: "#!/bin/sh\nif [ -p /dev/fd/3 ]; then echo fifo > fifo; fi\n" +
          `read _ < ${gate}\necho >&3\nread _ < ${hold}\n`,
        "notification-fd": "3",
      },
    });
  }
  try {
    await n.start();
    const log = await EventLog.open(n.sock);
    try {
      await eventually(
        () => names.every((s) => log.states(s).includes("STARTING")),
        60_000,
        "200 services STARTING",
      );
      const opened = Math.max(...names.map((s) => log.time(s, "STARTING")));
      strictEqual(names.filter((s) => log.states(s).includes("UP")).length, 0);
      gateFile.writeSync(new TextEncoder().encode("\n".repeat(count)));
      await eventually(
        () => names.every((s) => log.states(s).includes("UP")),
        60_000,
        "200 services UP",
      );
      for (const name of names) {
        // The newline was written after `opened`: UP within 2 s of it.
        const up = log.time(name, "UP");
        ok(up >= opened, `${name}: UP before the gate opened`);
        ok(up - opened < TIMER_MS, `${name}: UP ${up - opened} ms after`);
        strictEqual(log.states(name).join(" "), "STARTING UP");
        strictEqual(readOr(`${n.dir}/${name}/fifo`), "fifo\n");
      }
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
});
