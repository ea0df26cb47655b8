/**
 * Readiness notification with real processes: a newline on fd N
 * makes a service UP; without a newline, with a bad file, or with fd 0 it
 * stays STARTING until `nitroctl ready`. Nothing here sleeps against the
 * 2 s timer: the assertions are on nitro's event timestamps (STARTING → UP),
 * against delays the services themselves take before they write.
 */

import { ok, strictEqual } from "node:assert/strict";
import { dirname, join } from "node:path";
import { ctlScript, EventLog, readOr } from "../helpers/daemon.ts";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { MAX_BYTES_BEFORE_NEWLINE } from "../../src/daemon/readiness.ts";

/** The 2 s after which a service without `notification-fd` is UP. */
const TIMER_MS = 2000;

/**
 * A run script that, after `after` seconds, records whether fd `fd` is a
 * FIFO (into ./fifo) and writes `text` into it `how`: `>&N` or
 * `> /dev/fd/N` (bash: dash takes fds 0-9 only).
 */
function notifier(
  fd: number,
  after: number,
  opts: { text?: string; how?: "dup" | "path"; shell?: string } = {},
): string {
  const target = opts.how === "path" ? `> /dev/fd/${fd}` : `>&${fd}`;
  return `#!${opts.shell ?? "/bin/bash"}\nsleep ${after}\n` +
    `if [ -p /dev/fd/${fd} ]; then echo fifo > fifo; fi\n` +
    `printf '${opts.text ?? "\\n"}' ${target}\nexec sleep 1000\n`;
}

/** STARTING → UP of `name` (the first of each), in nitro's milliseconds. */
function startToUp(log: EventLog, name: string): number {
  return log.time(name, "UP") - log.time(name, "STARTING");
}

Deno.test("readiness: a newline on fd 3 or fd 37, by >&N or /dev/fd/N, makes it UP", async () => {
  const n = await Nitro.create({
    three: {
      run: notifier(3, 0.5, { shell: "/bin/sh" }),
      "notification-fd": "3\n",
    },
    path3: {
      run: notifier(3, 0.5, { how: "path", shell: "/bin/sh" }),
      "notification-fd": "3",
    },
    wide: {
      run: notifier(37, 0.5, { text: "ready\\n" }),
      "notification-fd": "37",
    },
    path37: {
      run: notifier(37, 0.5, { text: "up\\n", how: "path" }),
      "notification-fd": "37",
    },
    // Later than the 2 s timer: UP only comes with the newline.
    late: { run: notifier(3, 3), "notification-fd": "3" },
  });
  const names = ["three", "path3", "wide", "path37", "late"];
  try {
    await n.start();
    const r = await n.ctl(["-t", "30", "wait-up", ...names]);
    strictEqual(r.code, 0, r.stderr);
    const log = await EventLog.open(n.sock);
    try {
      await log.waitFor((e) => e.name === "late" && e.state === "UP");
      for (const name of names) {
        const gap = startToUp(log, name);
        const wrote = name === "late" ? 3000 : 500;
        ok(
          gap >= wrote,
          `${name}: UP ${gap} ms after STARTING, before it wrote`,
        );
        if (name !== "late") ok(gap < TIMER_MS, `${name}: UP after ${gap} ms`);
        strictEqual(
          readOr(`${n.dir}/${name}/fifo`),
          "fifo\n",
          `${name}: S_ISFIFO`,
        );
        strictEqual(log.states(name).join(" "), "STARTING UP");
      }
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: bytes without a newline are not ready; the newline after them is", async () => {
  const n = await Nitro.create({
    partial: {
      run: "#!/bin/sh\nprintf 'abc' >&3\nsleep 1\nprintf 'def\\nghi' >&3\n" +
        "exec sleep 1000\n",
      "notification-fd": "3",
    },
  });
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "20", "wait-up", "partial"])).code, 0);
    const log = await EventLog.open(n.sock);
    try {
      await log.waitFor((e) => e.name === "partial" && e.state === "UP");
      ok(startToUp(log, "partial") >= 1000, "UP before the newline");
      strictEqual(log.states("partial").join(" "), "STARTING UP");
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: past 4 KiB without a newline nitro stops reading fd 3", async () => {
  // A megabyte fits in no pipe (64 KiB) nor in what nitro reads ahead:
  // `head` finishes only if nitro reads it all, and is killed by SIGPIPE
  // (141) once nitro stops reading.
  const n = await Nitro.create({
    chatty: {
      run: "#!/bin/sh\nhead -c 1000000 /dev/zero >&3\necho $? > wrote\n" +
        "(echo >&3) 2>/dev/null\nexec sleep 1000\n",
      "notification-fd": "3",
    },
  });
  try {
    await n.start();
    const wrote = () => readOr(`${n.dir}/chatty/wrote`);
    await eventually(() => wrote().endsWith("\n"), 20_000, "the writer");
    strictEqual(wrote(), "141\n");
    ok(MAX_BYTES_BEFORE_NEWLINE < 65_536, "the bound is below a pipe's size");
    // The newline came too late: not UP by it, only by hand.
    strictEqual((await n.ctl(["-t", "0.5", "wait-up", "chatty"])).code, 3);
    strictEqual((await n.states()).chatty.state, "STARTING");
    strictEqual((await n.ctl(["ready", "chatty"])).code, 0);
    strictEqual((await n.states()).chatty.state, "UP");
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: a bad notification-fd means STARTING until `nitroctl ready`", async () => {
  const n = await Nitro.create({
    bad: { run: "#!/bin/sh\nexec sleep 1000\n", "notification-fd": "three" },
    // Its timer is the clock: `bad` is made ready only after it fired.
    timed: { run: "#!/bin/sh\nexec sleep 1000\n" },
  });
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "0.5", "wait-up", "bad"])).code, 3);
    strictEqual((await n.ctl(["-t", "20", "wait-up", "timed"])).code, 0);
    strictEqual((await n.states()).bad.state, "STARTING");
    strictEqual((await n.ctl(["ready", "bad"])).code, 0);
    const log = await EventLog.open(n.sock);
    try {
      await log.waitFor((e) => e.name === "bad" && e.state === "UP");
      ok(startToUp(log, "bad") >= TIMER_MS, "no timer for bad");
      ok(log.time("bad", "UP") >= log.time("timed", "UP"));
      strictEqual(log.states("bad").join(" "), "STARTING UP");
    } finally {
      await log.close();
    }
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: fd 0 means only `nitroctl ready .` from the run script", async () => {
  const n = await Nitro.create({
    // Ready by hand after 3 s: a timer would have made it UP at 2 s.
    manual: {
      run: "#!/bin/sh\nsleep 3\nnitroctl ready . || echo failed > failed\n" +
        "exec sleep 1000\n",
      "notification-fd": "0",
    },
    "inst@": {
      run: "#!/bin/sh\nsleep 0.3\nnitroctl ready . || echo failed > failed\n" +
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
      ok(startToUp(log, "manual") >= 3000, "UP before `nitroctl ready .`");
      strictEqual(log.states("manual").join(" "), "STARTING UP");
      ok(startToUp(log, "inst@a") >= 300);
      strictEqual(readOr(`${n.dir}/manual/failed`), "");
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
