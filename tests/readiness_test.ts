/**
 * Readiness notification (spec §5) with real processes: a newline on fd N
 * makes a service UP; without a newline, with a bad file, or with fd 0 it
 * stays STARTING until `nitroctl ready`.
 */

import { strictEqual } from "node:assert/strict";
import { dirname } from "node:path";
import { ctlScript } from "./helpers/daemon.ts";
import { delay, Nitro } from "./helpers/nitro.ts";

/** Writes a newline on fd `fd` after `after` seconds (bash: fds above 9). */
function notifier(fd: number, after: number, text = "\\n"): string {
  return `#!/bin/bash\nsleep ${after}\nprintf '${text}' >&${fd}\nexec sleep 1000\n`;
}

Deno.test("readiness: a newline on fd 3 or fd 37 makes the service UP", async () => {
  const n = await Nitro.create({
    // Ready after 3 s: later than the 2 s timer, so the timer is not it.
    three: { run: notifier(3, 3), "notification-fd": "3\n" },
    wide: { run: notifier(37, 3, "ready\\n"), "notification-fd": "37" },
    fast: { run: notifier(3, 0.2), "notification-fd": "3" },
  });
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "2", "wait-up", "fast"])).code, 0);
    await delay(2200);
    const s = await n.states();
    strictEqual(s.three.state, "STARTING", "no newline yet, no timer");
    strictEqual(s.wide.state, "STARTING");
    const r = await n.ctl(["-t", "5", "wait-up", "three", "wide"]);
    strictEqual(r.code, 0, r.stderr);
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: bytes without a newline, or a bad file, leave it STARTING", async () => {
  const n = await Nitro.create({
    partial: { run: notifier(3, 0, "abc"), "notification-fd": "3" },
    bad: { run: "#!/bin/sh\nexec sleep 1000\n", "notification-fd": "three" },
  });
  try {
    await n.start();
    await delay(3000);
    const s = await n.states();
    strictEqual(s.partial.state, "STARTING");
    strictEqual(s.bad.state, "STARTING");
    strictEqual((await n.ctl(["-t", "0.5", "wait-up", "bad"])).code, 3);
    strictEqual((await n.ctl(["ready", "bad"])).code, 0);
    strictEqual((await n.states()).bad.state, "UP");
  } finally {
    await n.stop();
  }
});

Deno.test("readiness: fd 0 means only `nitroctl ready .` from the run script", async () => {
  const n = await Nitro.create({
    manual: {
      run: "#!/bin/sh\nsleep 4\nnitroctl ready . || echo failed > failed\n" +
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
    await delay(2200);
    strictEqual((await n.states()).manual.state, "STARTING", "no timer");
    strictEqual((await n.ctl(["-t", "10", "start", "inst@a"])).code, 0);
    const r = await n.ctl(["-t", "10", "wait-up", "manual"]);
    strictEqual(r.code, 0, r.stderr);
  } finally {
    await n.stop();
  }
});
