import assert from "node:assert/strict";
import {
  MAX_REQUEST_BYTES,
  NitroClient,
  NitroError,
  type ServiceEvent,
  socketPath,
} from "../mod.ts";
import {
  basicHandler,
  event,
  FakeDaemon,
  status,
} from "./helpers/fake_daemon.ts";

const TABLE = [
  status("db", "UP", 10, 0, 5),
  status("web", "STARTING", 11),
  status("cron", "DOWN", null, 256, 40),
];

/** Resolves after `ms` milliseconds. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

Deno.test("connect to a missing socket fails as unreachable, naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/absent.sock`;
    const error = await rejection(NitroClient.connect(path));
    assert.ok(error instanceof NitroError);
    assert.equal(error.code, "unreachable");
    assert.equal(
      error.message,
      `cannot reach nitro at ${path}: No such file or directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("list and info return the daemon's answers; ids increase", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  assert.equal(nitro.path, daemon.path);
  assert.deepEqual(await nitro.list(), TABLE);
  assert.deepEqual(await nitro.list(["web"]), [TABLE[1]]);
  const info = await nitro.info();
  assert.equal(info.version, "0.1.0-fake");
  assert.equal(info.services, 3);
  assert.deepEqual(daemon.requests, [
    { id: 1, op: "list" },
    { id: 2, op: "list", services: ["web"] },
    { id: 3, op: "info" },
  ]);
});

Deno.test("every method sends its op and fields", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  await nitro.up("web");
  await nitro.down(["web", "db"], { wait: "shutdown" });
  await nitro.restart("db", { wait: "restart", hint: "x@y" });
  await nitro.start("web");
  await nitro.stop("web");
  await nitro.waitFor("db", "starting");
  await nitro.ready("web");
  await nitro.signal(["db"], "SIGHUP");
  assert.deepEqual(await nitro.pidof(["db", "cron"]), { db: 10, cron: null });
  await nitro.rescan();
  await nitro.shutdown();
  await nitro.reboot();
  const sent = daemon.requests.map(({ id: _, ...rest }) => rest);
  assert.deepEqual(sent, [
    { op: "up", services: ["web"] },
    { op: "down", services: ["web", "db"], wait: "shutdown" },
    { op: "restart", services: ["db"], wait: "restart", hint: "x@y" },
    { op: "up", services: ["web"], wait: "up" },
    { op: "down", services: ["web"], wait: "down" },
    { op: "wait", services: ["db"], wait: "starting" },
    { op: "ready", services: ["web"] },
    { op: "signal", services: ["db"], signal: "SIGHUP" },
    { op: "pidof", services: ["db", "cron"] },
    { op: "rescan" },
    { op: "shutdown" },
    { op: "reboot" },
  ]);
});

Deno.test("results carry ok:false for a service that ended FATAL", async () => {
  await using daemon = await FakeDaemon.start((_, reply) =>
    reply.ok({
      results: [
        { name: "a", state: "UP", ok: true },
        { name: "b", state: "FATAL", ok: false },
      ],
    })
  );
  using nitro = await NitroClient.connect(daemon.path);
  const results = await nitro.start(["a", "b"]);
  assert.deepEqual(results.map((r) => [r.name, r.ok]), [
    ["a", true],
    ["b", false],
  ]);
});

Deno.test("a failed response throws NitroError with the daemon's code", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.start(["web", "nope"]));
  assert.ok(error instanceof NitroError);
  assert.equal(error.code, "no-such-service");
  assert.equal(error.service, "nope");
  assert.equal(error.message, "no such service");
  // The connection stays usable after a failed request.
  assert.equal((await nitro.list("db"))[0].pid, 10);
});

Deno.test("verbose waits stream events to onEvent before resolving", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    await reply.event("web", "SETUP", 5);
    await sleep(20);
    await reply.event("web", "STARTING", 6);
    await reply.event("web", "UP", 6);
    await reply.ok({ results: [{ name: "web", state: "UP", ok: true }] });
    assert.equal(request.op, "up");
  });
  using nitro = await NitroClient.connect(daemon.path);
  const seen: ServiceEvent[] = [];
  const results = await nitro.start("web", {
    verbose: true,
    onEvent: (e) => seen.push(e),
  });
  assert.deepEqual(seen, [
    event("web", "SETUP", 5),
    event("web", "STARTING", 6),
    event("web", "UP", 6),
  ]);
  assert.deepEqual(results, [{ name: "web", state: "UP", ok: true }]);
  assert.deepEqual(daemon.requests[0], {
    id: 1,
    op: "up",
    services: ["web"],
    wait: "up",
    verbose: true,
  });
});

Deno.test("concurrent requests are matched to their answers by id", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op === "wait") {
      await sleep(80); // answered last, though asked first
      await reply.event("slow", "UP");
      return await reply.ok({
        results: [{ name: "slow", state: "UP", ok: true }],
      });
    }
    await reply.ok({ pids: { fast: 99 } });
  });
  using nitro = await NitroClient.connect(daemon.path);
  const slowEvents: string[] = [];
  const slow = nitro.waitFor("slow", "up", {
    verbose: true,
    onEvent: (e) => slowEvents.push(e.name),
  });
  const fast = nitro.pidof("fast");
  assert.deepEqual(await fast, { fast: 99 });
  assert.deepEqual((await slow).map((r) => r.name), ["slow"]);
  assert.deepEqual(slowEvents, ["slow"]);
});

Deno.test("lines split anywhere, even inside a UTF-8 character, are reassembled", async () => {
  const name = "café@ünï";
  const bytes = new TextEncoder().encode(
    JSON.stringify({ id: 1, event: event(name, "UP", 3) }) + "\n" +
      JSON.stringify({ id: 1, ok: true, results: [] }) + "\n",
  );
  const inE = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
  const inSecondLine = bytes.indexOf(0x0a) + 5;
  await using daemon = await FakeDaemon.start(async (_, reply) => {
    for (const [from, to] of [[0, inE], [inE, inSecondLine], [inSecondLine]]) {
      await reply.raw(bytes.subarray(from, to));
      await sleep(15); // let each piece arrive on its own
    }
  });
  using nitro = await NitroClient.connect(daemon.path);
  const names: string[] = [];
  await nitro.waitFor(name, "up", { onEvent: (e) => names.push(e.name) });
  assert.deepEqual(names, [name]);
});

Deno.test("the daemon hanging up fails a pending request as disconnected", async () => {
  await using daemon = await FakeDaemon.start(async (_, reply) => {
    await reply.event("web", "STARTING");
    reply.hangup();
  });
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.start("web"));
  assert.ok(error instanceof NitroError);
  assert.equal(error.code, "disconnected");
  assert.match(error.message, new RegExp(daemon.path));
  // Later requests fail at once rather than hang.
  const later = await rejection(nitro.list());
  assert.ok(later instanceof NitroError && later.code === "disconnected");
});

Deno.test("aborting a wait rejects with the reason; its late answer is ignored", async () => {
  let answerLate!: () => Promise<void>;
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op === "wait") {
      answerLate = () =>
        reply.ok({ results: [{ name: "web", state: "UP", ok: true }] });
      return;
    }
    await reply.ok({ pids: { db: 10 } });
  });
  using nitro = await NitroClient.connect(daemon.path);
  const controller = new AbortController();
  const waiting = nitro.waitFor("web", "up", { signal: controller.signal });
  while (daemon.requests.length === 0) await sleep(5);
  const reason = new Error("gave up");
  controller.abort(reason);
  assert.equal(await rejection(waiting), reason);
  await answerLate(); // arrives after the abort: must not confuse the next
  assert.deepEqual(await nitro.pidof("db"), { db: 10 });

  // An already aborted signal sends nothing.
  const sent = daemon.requests.length;
  const aborted = AbortSignal.abort(reason);
  assert.equal(
    await rejection(nitro.list(undefined, { signal: aborted })),
    reason,
  );
  assert.equal(daemon.requests.length, sent);
});

Deno.test("close() fails pending requests and is idempotent", async () => {
  await using daemon = await FakeDaemon.start(() => {/* never answers */});
  const nitro = await NitroClient.connect(daemon.path);
  const pending = nitro.waitFor("web", "down");
  while (daemon.requests.length === 0) await sleep(5);
  nitro.close();
  nitro.close();
  const error = await rejection(pending);
  assert.ok(error instanceof NitroError && error.code === "disconnected");
  const after = await rejection(nitro.info());
  assert.ok(after instanceof NitroError && after.code === "disconnected");
  while (daemon.open > 0) await sleep(5); // the daemon sees the close
});

Deno.test("an overlong request is refused without being sent", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  const many = Array.from(
    { length: MAX_REQUEST_BYTES / 8 },
    (_, i) => `svc${i}`,
  );
  const error = await rejection(nitro.up(many));
  assert.ok(error instanceof NitroError);
  assert.equal(error.code, "too-long");
  assert.equal(daemon.requests.length, 0);
  assert.deepEqual((await nitro.list("db")).map((s) => s.name), ["db"]);
});

Deno.test("a malformed line from the daemon fails as a protocol error", async () => {
  await using daemon = await FakeDaemon.start((_, reply) => reply.raw("ok!\n"));
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.info());
  assert.ok(error instanceof NitroError);
  assert.equal(error.code, "protocol");
  assert.match(error.message, /malformed line: ok!/);
});

Deno.test("an answer lacking its payload is a protocol error", async () => {
  await using daemon = await FakeDaemon.start((_, reply) => reply.ok());
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.list());
  assert.ok(error instanceof NitroError && error.code === "protocol");
});

Deno.test("events() streams on its own connection and closes it on break", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    assert.equal(request.op, "events");
    await reply.event("a", "UP", 1);
    await reply.event("b", "DOWN");
    await reply.event("c", "FATAL");
    await reply.closed;
  });
  using nitro = await NitroClient.connect(daemon.path);
  const seen: string[] = [];
  for await (const e of nitro.events({ replay: true })) {
    seen.push(`${e.state} ${e.name}`);
    if (e.name === "b") break;
  }
  assert.deepEqual(seen, ["UP a", "DOWN b"]);
  assert.equal(daemon.connections, 2);
  assert.deepEqual(daemon.requests, [{ id: 1, op: "events", replay: true }]);
  while (daemon.open > 1) await sleep(5); // the events connection closed
  assert.equal(daemon.open, 1);
});

Deno.test("events() ends when the daemon closes, throws on an error answer", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op !== "events") return;
    if (request.replay) {
      return await reply.fail("shutting-down", "nitro is shutting down");
    }
    await reply.event("a", "UP");
    reply.hangup();
  });
  using nitro = await NitroClient.connect(daemon.path);
  nitro.close(); // events() has a connection of its own
  const names = [];
  for await (const e of nitro.events()) names.push(e.name);
  assert.deepEqual(names, ["a"]);

  const error = await rejection((async () => {
    for await (const _ of nitro.events({ replay: true })) { /* none */ }
  })());
  assert.ok(error instanceof NitroError && error.code === "shutting-down");
});

Deno.test("events() stops with the signal's reason when aborted", async () => {
  await using daemon = await FakeDaemon.start(async (_, reply) => {
    await reply.event("a", "UP");
    await reply.closed;
  });
  using nitro = await NitroClient.connect(daemon.path);
  const controller = new AbortController();
  const reason = new Error("enough");
  const error = await rejection((async () => {
    for await (const _ of nitro.events({ signal: controller.signal })) {
      controller.abort(reason); // abort while waiting for the next event
    }
  })());
  assert.equal(error, reason);
  while (daemon.open > 1) await sleep(5);
});

Deno.test("connect() defaults to $NITRO_SOCK; socketPath is re-exported", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const saved = Deno.env.get("NITRO_SOCK");
  Deno.env.set("NITRO_SOCK", daemon.path);
  try {
    assert.equal(socketPath(), daemon.path);
    using nitro = await NitroClient.connect();
    assert.equal(nitro.path, daemon.path);
    assert.equal((await nitro.info()).pid, 1234);
  } finally {
    if (saved === undefined) Deno.env.delete("NITRO_SOCK");
    else Deno.env.set("NITRO_SOCK", saved);
  }
});

Deno.test("an idle, unclosed client does not keep a program running", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const script = `
    import { NitroClient } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const nitro = await NitroClient.connect(${JSON.stringify(daemon.path)});
    console.log((await nitro.list()).length);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const { code, stdout, stderr } = await child.output();
    assert.equal(new TextDecoder().decode(stderr), "");
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout), "3\n");
  } finally {
    clearTimeout(timer);
  }
});
