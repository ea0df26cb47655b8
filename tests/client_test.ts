import assert from "node:assert/strict";
import { decodeOutput } from "./helpers/common.ts";
import {
  MAX_REQUEST_BYTES,
  NitroClient,
  NitroError,
  type ServiceEvent,
  socketPath,
} from "../mod.ts";
import {
  basicHandler,
  BusyServer,
  detail,
  event,
  FakeDaemon,
  status,
} from "./helpers/fake_daemon.ts";
import { eventually } from "./helpers/nitro.ts";

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

Deno.test("start() of a service that ends FATAL throws NitroError failed", async () => {
  const answer = {
    results: [
      { name: "a", state: "UP", ok: true },
      { name: "b", state: "FATAL", ok: false },
    ],
  };
  await using daemon = await FakeDaemon.start((_, reply) => reply.ok(answer));
  using nitro = await NitroClient.connect(daemon.path);
  for (
    const request of [
      () => nitro.start(["a", "b"]),
      () => nitro.restart(["a", "b"], { wait: "up" }),
      () => nitro.waitFor(["a", "b"], "up"),
    ]
  ) {
    const error = await rejection(request());
    assert.ok(error instanceof NitroError);
    assert.equal(error.code, "failed");
    assert.equal(error.service, "b");
    assert.equal(error.message, "b ended FATAL");
    // Every result is still there, for a caller that wants them.
    assert.deepEqual(error.response?.results, answer.results);
  }
  // send() is the raw request: it resolves, the caller judges.
  const raw = await nitro.send({ op: "up", services: ["a", "b"], wait: "up" });
  assert.deepEqual(raw.results, answer.results);
});

Deno.test("signal() of a service without a process throws NitroError failed", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.signal(["db", "cron"], "SIGHUP"));
  assert.ok(error instanceof NitroError);
  assert.deepEqual([error.code, error.service, error.message], [
    "failed",
    "cron",
    "cron: no process to signal",
  ]);
  assert.deepEqual(
    (await nitro.signal("db", "SIGHUP")).map((r) => r.ok),
    [true],
  );
});

Deno.test("a service nitro could not serve among others throws, with the rest", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  using nitro = await NitroClient.connect(daemon.path);
  const error = await rejection(nitro.pidof(["db", "nosuch", "web"]));
  assert.ok(error instanceof NitroError);
  assert.deepEqual([error.code, error.service], ["no-such-service", "nosuch"]);
  assert.deepEqual(error.response?.pids, { db: 10, web: 11 });
  assert.deepEqual(error.response?.errors, [
    { service: "nosuch", code: "no-such-service", message: "no such service" },
  ]);
  const up = await rejection(nitro.up(["nosuch", "db"]));
  assert.ok(up instanceof NitroError && up.code === "no-such-service");
  assert.deepEqual(up.response?.results?.map((r) => r.name), ["db"]);
});

Deno.test("status() returns each service's details", async () => {
  const details = TABLE.map((s) => detail(s, { restarts: 1 }));
  await using daemon = await FakeDaemon.start(basicHandler(TABLE, details));
  using nitro = await NitroClient.connect(daemon.path);
  assert.deepEqual(await nitro.status(), details);
  assert.deepEqual(await nitro.status("web"), [details[1]]);
  assert.deepEqual(daemon.requests.map(({ id: _, ...rest }) => rest), [
    { op: "status" },
    { op: "status", services: ["web"] },
  ]);
});

Deno.test("answers are validated, not cast: a wrong field is a protocol error", async () => {
  const answers: Record<string, unknown>[] = [
    {
      services: [{ name: "a", state: "UP", pid: "12", wstatus: 0, seconds: 1 }],
    },
    {
      services: [{
        name: "a",
        state: "SLEEPING",
        pid: 1,
        wstatus: 0,
        seconds: 1,
      }],
    },
    { info: { pid: 1 } },
    { results: [{ name: "a", state: "UP" }] },
    { pids: { a: "1" } },
    { details: [{ name: "a" }] },
    { errors: [{ service: "x" }] },
  ];
  let next = 0;
  await using daemon = await FakeDaemon.start((_, reply) =>
    reply.ok(answers[next++])
  );
  for (const answer of answers) {
    using nitro = await NitroClient.connect(daemon.path);
    const error = await rejection(nitro.send({ op: "list" }));
    assert.ok(error instanceof NitroError, JSON.stringify(answer));
    assert.equal(error.code, "protocol");
    assert.match(error.message, /^nitro sent a malformed line \(.+\): \{/);
  }
  // An event that is not an event is one too.
  await using events = await FakeDaemon.start((_, reply) =>
    reply.send({ event: { name: "a", state: "UP", pid: null } })
  );
  using nitro = await NitroClient.connect(events.path);
  const error = await rejection(nitro.waitFor("a", "up", { verbose: true }));
  assert.ok(error instanceof NitroError && error.code === "protocol");
});

Deno.test("refused as busy: every request fails with the server's reason", async () => {
  await using busy = await BusyServer.start("too many clients");
  const sock = busy.sock;
  using nitro = await NitroClient.connect(sock);
  const many = Array.from({ length: 300 }, (_, i) => `s${i}`);
  for (const request of [nitro.list(), nitro.up(many), nitro.info()]) {
    const error = await rejection(request);
    assert.ok(error instanceof NitroError);
    assert.deepEqual([error.code, error.message], [
      "busy",
      "too many clients",
    ]);
  }
  // And later ones, once the connection is gone.
  const later = await rejection(nitro.list());
  assert.ok(later instanceof NitroError && later.code === "busy");
  const events = await rejection((async () => {
    for await (const _ of nitro.events()) { /* none */ }
  })());
  assert.ok(events instanceof NitroError && events.code === "busy");
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
  await eventually(() => daemon.requests.length > 0, 5000, "the request");
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
  await eventually(() => daemon.requests.length > 0, 5000, "the request");
  nitro.close();
  nitro.close();
  const error = await rejection(pending);
  assert.ok(error instanceof NitroError && error.code === "disconnected");
  const after = await rejection(nitro.info());
  assert.ok(after instanceof NitroError && after.code === "disconnected");
  await eventually(() => daemon.open === 0, 5000, "the daemon to see it");
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
  assert.match(error.message, /malformed line \(not JSON\): ok!/);
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
  // The events connection closed.
  await eventually(() => daemon.open === 1, 5000, "the close");
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
  await eventually(() => daemon.open === 1, 5000, "the close");
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

/** Run a script importing mod.ts with exactly `flags`; its output. */
async function script(
  body: string,
  flags: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "nitro-script-" });
  try {
    const file = `${dir}/main.ts`;
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    await Deno.writeTextFile(
      file,
      `import { NitroClient, NitroError } from ${mod};\n${body}`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...flags, file],
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    return decodeOutput(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("connect() fails loudly without the permissions to find the socket", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const sock = daemon.path;
  const body = `
    try {
      using nitro = await NitroClient.connect();
      console.log("connected", nitro.path, (await nitro.info()).pid);
    } catch (e) {
      if (!(e instanceof NitroError)) throw e;
      console.log(e.code, e.message);
    }
  `;
  const socketFlags = [
    `--allow-read=${sock}`,
    `--allow-write=${sock}`,
    `--allow-net=unix:${sock}`,
  ];
  // No --allow-env: NITRO_SOCK cannot be read. No silent fallback.
  const noEnv = await script(body, socketFlags, { NITRO_SOCK: sock });
  assert.equal(noEnv.stderr, "");
  assert.equal(
    noEnv.stdout,
    "permission cannot read $NITRO_SOCK: run with --allow-env=NITRO_SOCK " +
      "(or pass the socket path to NitroClient.connect)\n",
  );
  // NITRO_SOCK unset, and /etc/nitro.sock may not be read.
  const noLink = await script(
    body,
    ["--allow-env=NITRO_SOCK", ...socketFlags],
    {},
  );
  assert.match(noLink.stdout, /^permission .*--allow-read=\/etc\/nitro\.sock/);
  // The permissions docs/client.md lists are enough.
  const enough = await script(
    body,
    ["--allow-env=NITRO_SOCK", ...socketFlags],
    { NITRO_SOCK: sock },
  );
  assert.deepEqual([enough.code, enough.stderr], [0, ""]);
  assert.equal(enough.stdout, `connected ${sock} 1234\n`);
  // A path given, but no right to open it: the flags are named.
  const given = await script(
    `try { await NitroClient.connect(${JSON.stringify(sock)}); }
     catch (e) { console.log(e.code, e.message); }`,
    [`--allow-read=${sock}`],
    {},
  );
  assert.equal(
    given.stdout,
    `permission cannot reach nitro at ${sock}: Deno needs ` +
      `--allow-read=${sock} --allow-write=${sock} --allow-net=unix:${sock}\n`,
  );
});
