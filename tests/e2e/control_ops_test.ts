/**
 * The daemon's side of the protocol, with a real nitro and raw sockets:
 * `status` details, `info` figures, partial failures (`errors`), `signal`
 * with no process, names with control characters or invalid UTF-8, service
 * paths through the directory index, and verbose waits that start with the
 * current state.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import meta from "../../deno.json" with { type: "json" };
import { delay, eventually, Nitro } from "../helpers/nitro.ts";
import {
  connect,
  EventLog,
  LineReader,
  request,
  sh,
  writeAll,
} from "../helpers/daemon.ts";
import type { ServiceDetail } from "../../src/protocol.ts";

const SLEEP = sh("exec sleep 1000");

type Line = Record<string, unknown>;

/** Send raw bytes on a fresh connection; every line until the final one. */
async function exchange(sock: string, bytes: Uint8Array): Promise<Line[]> {
  const conn = await connect(sock);
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    const reader = new LineReader(conn);
    const lines: Line[] = [];
    while (true) {
      const line = await reader.next();
      if (line === null) throw new Error(`closed after ${lines.length} lines`);
      lines.push(line);
      if ("ok" in line) return lines;
    }
  } finally {
    conn.close();
  }
}

function ask(sock: string, req: unknown): Promise<Line[]> {
  return exchange(sock, new TextEncoder().encode(JSON.stringify(req) + "\n"));
}

function errorOf(
  line: Line,
): { code: string; message: string; service?: string } {
  return line.error as { code: string; message: string; service?: string };
}

Deno.test("status: uptime, restarts, last exit, logger, readiness, FATAL reason", async () => {
  const n = await Nitro.create();
  const flag = join(n.root, "crashed");
  const { writeServices } = await import("../helpers/nitro.ts");
  writeServices(n.dir, {
    web: { run: SLEEP, log: { link: "../logger" } },
    logger: { run: sh(`exec cat > ${join(n.root, "log")}`) },
    crash: {
      run: sh(
        `[ -e ${flag} ] || { touch ${flag}; exit 3; }`,
        "exec sleep 1000",
      ),
    },
    broken: { setup: sh("exit 111"), run: SLEEP },
    idle: { run: SLEEP, down: "" },
    manual: { run: SLEEP, "notification-fd": "0\n" },
  });
  try {
    await n.start();
    await eventually(
      async () => {
        const s = await n.states();
        return s.web?.state === "UP" && s.crash?.state === "UP" &&
          s.broken?.state === "FATAL" && s.manual?.state === "STARTING";
      },
      15_000,
      "services to settle",
    );
    const [all] = await ask(n.sock, { id: 1, op: "status" });
    assert.equal(all.ok, true, JSON.stringify(all));
    const details = all.details as ServiceDetail[];
    assert.deepEqual(
      details.map((d) => d.name),
      ["broken", "crash", "idle", "logger", "manual", "web"],
    );
    const by = Object.fromEntries(details.map((d) => [d.name, d]));
    assert.equal(by.web.state, "UP");
    assert.equal(typeof by.web.uptime, "number");
    assert.equal(by.web.logger, "logger");
    assert.equal(by.web.readiness, "timer");
    assert.equal(by.web.lastExit, null);
    assert.equal((by.crash.restarts ?? 0) >= 1, true, JSON.stringify(by.crash));
    assert.equal(by.crash.lastExit, "exited 3");
    assert.equal(by.broken.state, "FATAL");
    assert.equal(by.broken.reason, "setup exited 111");
    assert.equal(by.broken.uptime, null);
    assert.equal(by.idle.state, "DOWN");
    assert.equal(by.idle.uptime, null);
    assert.equal(by.idle.restarts, 0);
    assert.equal(by.manual.readiness, "manual");
    assert.equal(by.manual.reason, null);

    // Named ones, in the order given; an unknown one is reported apart.
    const [some] = await ask(n.sock, {
      op: "status",
      services: ["web", "nosuch", "broken"],
    });
    assert.deepEqual(
      (some.details as ServiceDetail[]).map((d) => d.name),
      ["web", "broken"],
    );
    assert.deepEqual(some.errors, [{
      service: "nosuch",
      code: "no-such-service",
      message: "no such service",
    }]);
    const [none] = await ask(n.sock, {
      id: "n",
      op: "status",
      services: ["x"],
    });
    assert.equal(none.ok, false);
    assert.equal(none.id, "n");
    assert.equal(errorOf(none).code, "no-such-service");
    assert.equal(errorOf(none).service, "x");
  } finally {
    await n.stop();
  }
});

Deno.test("info: the version of deno.json and nitro's own figures", async () => {
  const n = await Nitro.create({
    once: { run: sh("exit 0") },
    web: { run: SLEEP },
  });
  try {
    await n.start();
    const events = await EventLog.open(n.sock);
    try {
      await events.waitFor((e) => e.name === "web" && e.state === "UP");
      await events.waitFor((e) => e.name === "once" && e.state !== "STARTING");
    } finally {
      await events.close();
    }
    // nitro's fds once its side of the event connection is closed too: the
    // same count twice, 100 ms apart.
    const fdCount = () =>
      Deno.readDirSync(`/proc/${n.pid}/fd`).toArray().length;
    let quiet = -1;
    await eventually(async () => {
      const before = fdCount();
      await delay(100);
      quiet = fdCount();
      return quiet === before;
    });
    const [answer] = await ask(n.sock, { op: "info" });
    const info = answer.info as Record<string, unknown>;
    assert.equal(info.version, meta.version);
    assert.equal(info.pid, n.pid);
    assert.equal(info.services, 2);
    for (const key of ["svReaps", "fds", "rss", "boot", "reaps", "uptime"]) {
      assert.equal(typeof info[key], "number", key);
    }
    assert.ok((info.svReaps as number) >= 1, "the one-shot's run was reaped");
    // Counted while the request's connection and the probe's process are
    // open in nitro, besides what it holds at rest.
    const extra = (info.fds as number) - quiet;
    assert.ok(
      extra >= 0 && extra <= 4,
      `fds ${info.fds}, /proc says ${quiet} at rest`,
    );
    const status = Deno.readTextFileSync(`/proc/${n.pid}/status`);
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
    assert.ok(
      Math.abs((info.rss as number) / 1024 - rssKb) < rssKb / 2,
      `rss ${info.rss} vs ${rssKb} kB`,
    );
    assert.ok((info.boot as number) >= 0);
    assert.ok((info.boot as number) <= (info.uptime as number));
  } finally {
    await n.stop();
  }
});

Deno.test("partial failure: unknown and bad names reported in errors, the others served", async () => {
  const n = await Nitro.create({
    a: { run: SLEEP, down: "" },
    c: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const lines = await ask(n.sock, {
      id: 4,
      op: "up",
      services: ["a", "nosuch", "b\u001b[2J", "c"],
      wait: "up",
    });
    const final = lines.at(-1)!;
    assert.equal(final.ok, true, JSON.stringify(final));
    assert.equal(final.id, 4);
    assert.deepEqual(
      (final.results as { name: string; ok: boolean }[]).map((
        r,
      ) => [r.name, r.ok]),
      [["a", true], ["c", true]],
    );
    const errors = final.errors as { service: string; code: string }[];
    assert.deepEqual(
      errors.map((e) => [e.service, e.code]).sort(),
      [["b\u001b[2J", "bad-name"], ["nosuch", "no-such-service"]],
    );
    // pidof: the pids found, and the failure.
    const [pidof] = await ask(n.sock, { op: "pidof", services: ["a", "zz"] });
    assert.equal(typeof (pidof.pids as Record<string, number>).a, "number");
    assert.deepEqual((pidof.errors as { service: string }[])[0].service, "zz");
    // Nothing resolved: the first failure, as an error.
    const [bad] = await ask(n.sock, { op: "down", services: ["x\u0000"] });
    assert.equal(errorOf(bad).code, "bad-name");
    assert.match(errorOf(bad).message, /control character/);
    // SYS takes no requests; the others are served.
    const [sys] = await ask(n.sock, { op: "down", services: ["SYS", "a"] });
    assert.equal(sys.ok, true);
    assert.deepEqual(sys.errors, [{
      service: "SYS",
      code: "bad-name",
      message: "nitro itself runs SYS; it takes no requests",
    }]);
    // Control characters never create an instance or a listing.
    const list = await n.ctl(["list"]);
    assert.ok(!list.stdout.includes("\u001b"), list.stdout);
  } finally {
    await n.stop();
  }
});

Deno.test("invalid UTF-8 in a name is bad-name; the connection goes on", async () => {
  const n = await Nitro.create({ a: { run: SLEEP } });
  try {
    await n.start();
    const enc = new TextEncoder();
    const bytes = new Uint8Array([
      ...enc.encode('{"id":1,"op":"pidof","services":["a\\u0020'),
      0xff,
      0xfe,
      ...enc.encode('"]}\n'),
    ]);
    const [answer] = await exchange(n.sock, bytes);
    assert.equal(answer.ok, false);
    assert.equal(answer.id, 1);
    assert.equal(errorOf(answer).code, "bad-name");
    assert.match(errorOf(answer).message, /UTF-8/);
    // A lone surrogate through JSON: the same answer.
    const [lone] = await ask(n.sock, { op: "up", services: ["x\ud800"] });
    assert.equal(errorOf(lone).code, "bad-name");
  } finally {
    await n.stop();
  }
});

Deno.test("signal: a service without a process gets ok:false", async () => {
  const n = await Nitro.create({
    web: { run: SLEEP },
    idle: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    await eventually(async () => (await n.states()).web?.state === "UP");
    const [answer] = await ask(n.sock, {
      op: "signal",
      services: ["web", "idle"],
      signal: "SIGCONT",
    });
    assert.deepEqual(answer.results, [
      { name: "web", state: "UP", ok: true },
      { name: "idle", state: "DOWN", ok: false },
    ]);
  } finally {
    await n.stop();
  }
});

Deno.test("paths: resolved by identity (symlinks, instances with a hint)", async () => {
  const n = await Nitro.create({
    web: { run: SLEEP },
    "tpl@": { run: SLEEP },
  });
  try {
    Deno.symlinkSync(join(n.dir, "web"), join(n.root, "alias"));
    await n.start();
    await ask(n.sock, { op: "up", services: ["tpl@1", "tpl@2"] });
    await eventually(async () => {
      const s = await n.states();
      return s.web?.pid != null && s["tpl@1"]?.pid != null &&
        s["tpl@2"]?.pid != null;
    });
    const states = await n.states();
    const [answer] = await ask(n.sock, {
      op: "pidof",
      services: [
        join(n.dir, "web"),
        join(n.root, "alias"),
        join(n.dir, "tpl@"),
      ],
      hint: "tpl@2",
    });
    assert.deepEqual(answer.pids, {
      web: states.web.pid,
      "tpl@2": states["tpl@2"].pid,
    });
    // No hint: the template's directory names no single instance.
    const [ambiguous] = await ask(n.sock, {
      op: "pidof",
      services: [join(n.dir, "tpl@")],
    });
    assert.equal(errorOf(ambiguous).code, "no-such-service");
    const [missing] = await ask(n.sock, {
      op: "pidof",
      services: [join(n.root, "nope"), "web"],
    });
    assert.equal(
      (missing.errors as { code: string }[])[0].code,
      "no-such-service",
    );
  } finally {
    await n.stop();
  }
});

Deno.test("verbose waits: the current state first, then each change", async () => {
  const n = await Nitro.create({
    web: { run: SLEEP },
    idle: { run: SLEEP, down: "" },
  });
  try {
    await n.start();
    await eventually(async () => (await n.states()).web?.state === "UP");
    // Already UP: one line with the state, then the answer.
    const up = await ask(n.sock, {
      id: 2,
      op: "wait",
      services: ["web"],
      wait: "up",
      verbose: true,
    });
    assert.deepEqual(
      up.map((l) => (l.event as { state?: string } | undefined)?.state ?? "ok"),
      ["UP", "ok"],
    );
    assert.ok(up.every((l) => l.id === 2));
    // A change: what it makes happen, each event saying what C nitro
    // announces there - STARTING twice (the change, then the request's
    // own announcement), as C nitroctl -v prints it.
    const start = await ask(n.sock, {
      op: "up",
      services: ["idle"],
      wait: "up",
      verbose: true,
    });
    const events = start.filter((l) => l.event).map((l) =>
      l.event as { state: string; notice: string | null }
    );
    assert.deepEqual(events.map((e) => `${e.state}:${e.notice}`), [
      "STARTING:STARTING",
      "STARTING:STARTING",
      "UP:UP",
    ]);
    assert.equal(start.at(-1)!.ok, true);
  } finally {
    await n.stop();
  }
});

Deno.test("several requests on one connection, a wait among them, answered by id", async () => {
  const n = await Nitro.create({ idle: { run: SLEEP, down: "" } });
  try {
    await n.start();
    const conn = await connect(n.sock);
    try {
      await writeAll(
        conn,
        [
          { id: "w", op: "wait", services: ["idle"], wait: "up" },
          { id: "l", op: "list" },
          { id: "u", op: "up", services: ["idle"] },
        ].map((r) => JSON.stringify(r) + "\n").join(""),
      );
      const reader = new LineReader(conn);
      const ids: unknown[] = [];
      while (ids.length < 3) ids.push((await reader.next())?.id);
      assert.deepEqual(ids, ["l", "u", "w"]);
    } finally {
      conn.close();
    }
    assert.equal((await request(n.sock, { op: "list" })).ok, true);
  } finally {
    await n.stop();
  }
});
