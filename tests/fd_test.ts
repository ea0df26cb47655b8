/**
 * File descriptor hygiene with real processes: a service gets exactly fds
 * 0, 1, 2 (and N for readiness), and the daemon's own fd count does not
 * grow with restarts.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro } from "./helpers/nitro.ts";
import { NitroClient } from "../mod.ts";

/** The fds of `pid` and what each points at. */
function fds(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      out[e.name] = Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`);
    } catch {
      // Closed while we looked.
    }
  }
  return out;
}

function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

Deno.test("fds: services get exactly 0, 1, 2 (and N), nothing of nitro's", async () => {
  const n = await Nitro.create({
    plain: { run: "#!/bin/sh\nexec sleep 1000\n" },
    notified: {
      run: "#!/bin/sh\necho >&3\nexec sleep 1000\n",
      "notification-fd": "3",
      log: { link: "../logger" },
    },
    logger: { run: "#!/bin/sh\nexec sleep 1000\n" },
  });
  try {
    await n.start();
    const r = await n.ctl(["-t", "10", "start", "plain", "notified", "logger"]);
    strictEqual(r.code, 0, r.stderr);
    const s = await n.states();
    const plain = fds(s.plain.pid!);
    deepStrictEqual(Object.keys(plain).sort(), ["0", "1", "2"]);
    strictEqual(plain["0"], "/dev/null");

    const notified = fds(s.notified.pid!);
    deepStrictEqual(Object.keys(notified).sort(), ["0", "1", "2", "3"]);
    const pipe = join(`${n.sock}.d`, "logger");
    strictEqual(notified["1"], pipe, "stdout is the logger's pipe");

    const logger = fds(s.logger.pid!);
    deepStrictEqual(Object.keys(logger).sort(), ["0", "1", "2"]);
    strictEqual(logger["0"], pipe, "stdin is its own pipe");
  } finally {
    await n.stop();
  }
});

Deno.test("fds: 1000 restarts of services and loggers leave nitro's fd count as it was", async () => {
  const n = await Nitro.create({
    w: {
      run: "#!/bin/sh\necho >&3\necho hello\nexec sleep 1000\n",
      "notification-fd": "3",
      log: { link: "../l" },
    },
    l: {
      run: "#!/bin/sh\necho >&3\nexec cat >/dev/null\n",
      "notification-fd": "3",
    },
  });
  try {
    await n.start();
    const c = await NitroClient.connect(n.sock);
    try {
      await c.waitFor(["w", "l"], "up");
      const before = fdCount(n.pid);
      for (let i = 0; i < 500; i++) {
        await c.restart(["w", "l"], { wait: "up" });
      }
      await c.waitFor(["w", "l"], "up");
      const info = await c.info();
      ok(info.reaps >= 1000, `only ${info.reaps} processes reaped`);
      await eventually(() => fdCount(n.pid) === before, 5000, "fd count");
    } finally {
      c.close();
    }
  } finally {
    await n.stop();
  }
});
