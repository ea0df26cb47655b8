/**
 * Logging through nitro's pipes with real processes: no line is
 * lost or duplicated while either side restarts, backpressure instead of
 * loss while the logger is down, shared loggers, chains, defaults, template
 * links, self-loops and shutdown order.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { delay, eventually, Nitro } from "../helpers/nitro.ts";
import { procStat } from "../helpers/common.ts";
import { NitroClient } from "../../mod.ts";

/**
 * Writes numbered lines forever, continuing the count across restarts. It
 * stops only between lines (the TERM trap sets a flag), so a restart never
 * loses or repeats a number on the writer's side.
 */
const WRITER = `#!/bin/sh
stop=
trap 'stop=1' TERM
n=$(cat count 2>/dev/null || echo 0)
while [ -z "$stop" ]; do
  n=$((n+1))
  echo "line $n"
  echo $n > count
  sleep 0.005
done
`;

/** Appends every line it reads to \`got\`, stopping only between lines. */
const COLLECTOR = `#!/bin/sh
stop=
trap 'stop=1' TERM
while [ -z "$stop" ] && IFS= read -r line; do
  printf '%s\\n' "$line" >> got
done
`;

function lines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

function count(path: string): number {
  try {
    return Number(Deno.readTextFileSync(path).trim() || "0");
  } catch {
    return 0;
  }
}

Deno.test("log pipe: 20 logger and 20 writer restarts lose and repeat nothing", async () => {
  const n = await Nitro.create({
    writer: { run: WRITER, log: { link: "../logger" } },
    logger: { run: COLLECTOR },
  });
  const got = join(n.dir, "logger", "got");
  const written = join(n.dir, "writer", "count");
  const client = () => NitroClient.connect(n.sock);
  try {
    await n.start();
    const c = await client();
    try {
      await c.waitFor(["writer", "logger"], "starting");
      for (let i = 0; i < 20; i++) {
        const before = count(written);
        await eventually(() => count(written) > before + 3, 10_000, "writes");
        await c.restart(i % 2 ? "logger" : "writer", { wait: "restart" });
        await c.restart(i % 2 ? "writer" : "logger", { wait: "restart" });
      }
      // Lines written while the logger is down wait in the pipe. (A writer
      // that starts brings its logger up, so let the writer settle first.)
      await c.waitFor(["writer", "logger"], "starting");
      await c.stop("logger");
      const stoppedAt = lines(got).length;
      const before = count(written);
      await eventually(() => count(written) > before + 20, 10_000, "writes");
      strictEqual(lines(got).length, stoppedAt, "logger is down: no reads");
      await c.up("logger");
      await eventually(() => lines(got).length > before + 20, 10_000, "drain");
      await c.stop("writer");
      const last = count(written);
      ok(last > 100, `only ${last} lines written`);
      await eventually(() => lines(got).length >= last, 10_000, "all lines");
      const expected = Array.from({ length: last }, (_, k) => `line ${k + 1}`);
      deepStrictEqual(lines(got), expected);
    } finally {
      c.close();
    }
  } finally {
    await n.stop();
  }
});

Deno.test("log pipe: a writer blocks (is not dropped) while its logger is down", async () => {
  // 1 MiB is far more than a pipe holds (64 KiB by default).
  const n = await Nitro.create({
    writer: {
      run: `#!/bin/sh
while [ ! -e go ]; do sleep 0.05; done
head -c 1048576 /dev/zero | tr '\\0' 'x' | fold -w 63
echo done > finished
exec sleep 1000
`,
      log: { link: "../logger" },
    },
    logger: { run: "#!/bin/sh\nexec wc -c > bytes\n" },
  });
  try {
    await n.start();
    // The writer started its logger; stop it before the writer writes.
    strictEqual((await n.ctl(["-t", "5", "wait-starting", "logger"])).code, 0);
    strictEqual((await n.ctl(["stop", "logger"])).code, 0);
    Deno.writeTextFileSync(join(n.dir, "writer", "go"), "");
    await delay(1500);
    const s = await n.states();
    ok(s.writer.state === "STARTING" || s.writer.state === "UP");
    let finished = false;
    try {
      Deno.statSync(join(n.dir, "writer", "finished"));
      finished = true;
    } catch { /* still blocked: expected */ }
    strictEqual(finished, false, "writer should block on the full pipe");
    strictEqual((await n.ctl(["up", "logger"])).code, 0);
    await eventually(
      () => {
        try {
          Deno.statSync(join(n.dir, "writer", "finished"));
          return true;
        } catch {
          return false;
        }
      },
      15_000,
      "writer to finish after the logger came up",
    );
  } finally {
    await n.stop();
  }
});

Deno.test("log pipe: two services share a logger; a chain of two loggers", async () => {
  const n = await Nitro.create({
    a: {
      run: "#!/bin/sh\necho from-a\nexec sleep 1000\n",
      log: { link: "../l1" },
    },
    b: {
      run: "#!/bin/sh\necho from-b\nexec sleep 1000\n",
      log: { link: "../l1" },
    },
    // l1 prefixes and passes on into l2, which writes the file.
    l1: {
      run: '#!/bin/sh\nwhile IFS= read -r l; do echo "l1: $l"; done\n',
      log: { link: "../l2" },
    },
    l2: { run: COLLECTOR },
  });
  const got = join(n.dir, "l2", "got");
  try {
    await n.start();
    await eventually(() => lines(got).length >= 2, 10_000, "chained lines");
    deepStrictEqual(lines(got).sort(), ["l1: from-a", "l1: from-b"]);
  } finally {
    await n.stop();
  }
});

Deno.test("log defaults: LOG@ template per service, LOG for LOG@ instances", async () => {
  const n = await Nitro.create({
    web: { run: "#!/bin/sh\necho web-line\nexec sleep 1000\n" },
    "LOG@": {
      run: '#!/bin/sh\nwhile IFS= read -r l; do echo "$1: $l"; done\n',
    },
    LOG: { run: COLLECTOR },
  });
  try {
    await n.start();
    const got = join(n.dir, "LOG", "got");
    await eventually(() => lines(got).includes("web: web-line"), 10_000, "LOG");
    const s = await n.states();
    ok(s["LOG@web"], "LOG@web instance exists");
  } finally {
    await n.stop();
  }
});

Deno.test("log defaults: LOG alone, and nitro's stdout without any", async () => {
  const n = await Nitro.create({
    web: { run: "#!/bin/sh\necho web-line\nexec sleep 1000\n" },
    LOG: { run: COLLECTOR },
  });
  const m = await Nitro.create({
    web: { run: "#!/bin/sh\necho plain-stdout-line\nexec sleep 1000\n" },
  });
  try {
    await Promise.all([n.start(), m.start()]);
    const got = join(n.dir, "LOG", "got");
    await eventually(() => lines(got).includes("web-line"), 10_000, "LOG");
    ok(!n.stdout.includes("web-line"), "logged, so not on nitro's stdout");
    await m.waitForOutput("plain-stdout-line");
  } finally {
    await Promise.all([n.stop(), m.stop()]);
  }
});

Deno.test("log links to templates: x@ → x@<name> and x@<param>", async () => {
  const n = await Nitro.create({
    web: {
      run: "#!/bin/sh\necho web-line\nexec sleep 1000\n",
      log: { link: "../lg@" },
    },
    "t@": {
      run: '#!/bin/sh\necho "t-$1"\nexec sleep 1000\n',
      log: { link: "../lg@" },
    },
    "t@one": { link: "t@" },
    "lg@": {
      run: '#!/bin/sh\nwhile IFS= read -r l; do echo "$1 $l" >> ../got; done\n',
    },
  });
  try {
    await n.start();
    const got = join(n.dir, "got");
    await eventually(() => lines(got).length >= 2, 10_000, "template logs");
    deepStrictEqual(lines(got).sort(), ["one t-one", "web web-line"]);
    const s = await n.states();
    ok(s["lg@web"] && s["lg@one"], "logger instances listed");
  } finally {
    await n.stop();
  }
});

Deno.test("log link to itself: a service reads its own output", async () => {
  const n = await Nitro.create({
    self: {
      run:
        '#!/bin/sh\necho hello-self\nIFS= read -r l\necho "got $l" > result\nexec sleep 1000\n',
      log: { link: "../self" },
    },
  });
  try {
    await n.start();
    const result = join(n.dir, "self", "result");
    await eventually(() => lines(result).length > 0, 10_000, "self read");
    deepStrictEqual(lines(result), ["got hello-self"]);
    strictEqual((await n.ctl(["start", "self"])).code, 0);
  } finally {
    await n.stop();
  }
});

Deno.test("a down service does not start its logger, which is listed DOWN", async () => {
  const n = await Nitro.create({
    quiet: {
      run: "#!/bin/sh\nexec sleep 1000\n",
      down: "",
      log: { link: "../lg@" },
    },
    "lg@": { run: "#!/bin/sh\nexec cat\n" },
  });
  try {
    await n.start();
    await delay(300);
    const s = await n.states();
    strictEqual(s["lg@quiet"]?.state, "DOWN");
    strictEqual((await n.ctl(["start", "quiet"])).code, 0);
    // Started with quiet, the logger is UP 2 s after it began: waited
    // for, as quiet's own UP says nothing about when the logger's is.
    await eventually(
      async () => (await n.states())["lg@quiet"]?.state === "UP",
      10_000,
      "lg@quiet UP",
    );
  } finally {
    await n.stop();
  }
});

Deno.test("shutdown: a logger stops after the services writing into it", async () => {
  const n = await Nitro.create({
    writer: {
      run:
        "#!/bin/sh\ntrap 'echo last-words; exit 0' TERM\nwhile :; do sleep 0.05; done\n",
      finish: "#!/bin/sh\necho finish-says-bye\n",
      log: { link: "../logger" },
    },
    logger: { run: COLLECTOR },
  });
  const got = join(n.dir, "logger", "got");
  try {
    await n.start();
    strictEqual((await n.ctl(["start", "writer", "logger"])).code, 0);
    strictEqual((await n.ctl(["Shutdown"])).code, 0);
    const status = await n.exitStatus!;
    strictEqual(status.code, 0);
    deepStrictEqual(lines(got), ["last-words", "finish-says-bye"]);
  } finally {
    await n.stop();
  }
});

Deno.test("a logger started before its writers reads its pipe", async () => {
  const n = await Nitro.create({
    writer: {
      run: "#!/bin/sh\necho early-bird\nexec sleep 1000\n",
      down: "",
      log: { link: "../sink" },
    },
    sink: { run: COLLECTOR, down: "" },
  });
  const got = join(n.dir, "sink", "got");
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "10", "start", "sink"])).code, 0);
    const pid = (await n.states()).sink.pid!;
    strictEqual(
      Deno.readLinkSync(`/proc/${pid}/fd/0`),
      join(`${n.sock}.d`, "sink"),
    );
    strictEqual((await n.ctl(["up", "writer"])).code, 0);
    await eventually(() => lines(got).includes("early-bird"), 10_000, "line");
    strictEqual((await n.states()).sink.pid, pid, "the same logger process");
  } finally {
    await n.stop();
  }
});

Deno.test("shutdown: a one-shot's finish is logged before its logger stops", async () => {
  const n = await Nitro.create({
    once: {
      setup: "#!/bin/sh\necho set-up\n",
      finish: '#!/bin/sh\nsleep 0.3\necho taken-down "$1 $2"\n',
      log: { link: "../logger" },
    },
    logger: { run: COLLECTOR },
  });
  const got = join(n.dir, "logger", "got");
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "10", "start", "once", "logger"])).code, 0);
    strictEqual((await n.ctl(["Shutdown"])).code, 0);
    strictEqual((await n.exitStatus!).code, 0);
    deepStrictEqual(lines(got), ["set-up", "taken-down 0 0"]);
  } finally {
    await n.stop();
  }
});

Deno.test("stop: what a run left in its process group is killed with it", async () => {
  // Not exec'd: sh runs a pipeline, and TERM reaches only sh.
  const n = await Nitro.create({
    piped: { run: "#!/bin/sh\nsleep 1000 | cat\n", log: { link: "../logger" } },
    logger: { run: "#!/bin/sh\nexec cat >/dev/null\n" },
  });
  try {
    await n.start();
    strictEqual((await n.ctl(["-t", "10", "start", "piped"])).code, 0);
    const leader = (await n.states()).piped.pid!;
    const members = () =>
      [...Deno.readDirSync("/proc")].filter((e) => {
        if (!/^\d+$/.test(e.name)) return false;
        return procStat(e.name)?.pgrp === leader;
      }).length;
    ok(members() >= 3, "sh, sleep and cat share the service's group");
    strictEqual((await n.ctl(["-t", "10", "stop", "piped"])).code, 0);
    await eventually(() => members() === 0, 5000, "the group to be gone");
  } finally {
    await n.stop();
  }
});
