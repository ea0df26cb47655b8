/**
 * Tests of src/spat/transport.ts: the JSON protocol's requests carried out
 * against an in-process fake C nitro (tests/helpers/fake_c_nitro.ts), and
 * C nitro's answers turned into the JSON protocol's. The same against a
 * real C nitro, through `NitroClient`, is tested in
 * tests/ctl/spat_client_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NitroError } from "../../src/client.ts";
import { TAG } from "../../src/spat/codec.ts";
import { isDatagramSocket, SpatTransport } from "../../src/spat/transport.ts";
import type { ServiceEvent } from "../../src/protocol.ts";
import {
  FakeCNitro,
  type FakeRequest,
  type FakeService,
  infoAnswer,
  listAnswer,
  noSuchService,
  notImplemented,
  ok,
  queryAnswer,
  stateChange,
} from "../helpers/fake_c_nitro.ts";

const SERVICES: FakeService[] = [
  { name: "web", state: "UP", pid: 42, wstatus: 0, uptime: 30 },
  { name: "db", state: "FATAL", pid: 0, wstatus: 256, uptime: 5 },
  { name: "cron", state: "DOWN", pid: 0, wstatus: 0, uptime: 9 },
  { name: "app@one", state: "UP", pid: 7, wstatus: 0, uptime: 1 },
];

/** C nitro as far as these tests need it. */
function cNitro(r: FakeRequest): Uint8Array[] {
  const s = SERVICES.find((s) => s.name === r.service);
  switch (r.command) {
    case TAG.list:
      return [listAnswer(SERVICES)];
    case TAG.info:
      return [infoAnswer([[TAG.nitroPid, 1], [TAG.maxService, 4], [
        TAG.totalReaps,
        99,
      ], [TAG.totalSvReaps, 12]])];
    case TAG.query:
      return [s ? queryAnswer(s) : noSuchService()];
    case TAG.up:
      if (!s) return [noSuchService()];
      // C nitro notifies the new state before it acknowledges.
      return s.name === "db"
        ? [stateChange("db", "STARTING"), ok(), stateChange("db", "FATAL")]
        : [stateChange(s.name, "STARTING"), ok(), stateChange(s.name, "UP")];
    case TAG.down:
      return s
        ? [stateChange(s.name, "SHUTDOWN"), ok(), stateChange(s.name, "DOWN")]
        : [noSuchService()];
    case TAG.signal:
      return [s && s.pid !== 0 ? ok() : noSuchService()];
    case TAG.rescan:
      return [ok()];
    default:
      return [notImplemented()];
  }
}

async function withTransport(
  fn: (t: SpatTransport, nitro: FakeCNitro) => Promise<void>,
): Promise<void> {
  await using nitro = FakeCNitro.start(cNitro);
  const t = new SpatTransport(nitro.path);
  try {
    await fn(t, nitro);
  } finally {
    t.close();
  }
}

Deno.test("list: every service, sorted by name, pid null for none", async () => {
  await withTransport(async (t) => {
    assert.deepEqual(await t.send({ op: "list" }), {
      ok: true,
      services: [
        { name: "app@one", state: "UP", pid: 7, wstatus: 0, seconds: 1 },
        { name: "cron", state: "DOWN", pid: null, wstatus: 0, seconds: 9 },
        { name: "db", state: "FATAL", pid: null, wstatus: 256, seconds: 5 },
        { name: "web", state: "UP", pid: 42, wstatus: 0, seconds: 30 },
      ],
    });
  });
});

Deno.test("status of some: one query each; what C nitro does not tell is null; unknown ones are errors", async () => {
  await withTransport(async (t, nitro) => {
    const answer = await t.send({
      op: "status",
      services: ["web", "nope", "db"],
    });
    assert.deepEqual(answer, {
      ok: true,
      errors: [{
        service: "nope",
        code: "no-such-service",
        message: "no such service",
      }],
      details: [
        {
          name: "db",
          state: "FATAL",
          pid: null,
          wstatus: 256,
          seconds: 5,
          uptime: null,
          restarts: null,
          lastExit: "exited 1",
          logger: null,
          readiness: null,
          reason: null,
        },
        {
          name: "web",
          state: "UP",
          pid: 42,
          wstatus: 0,
          seconds: 30,
          uptime: 30,
          restarts: null,
          lastExit: null,
          logger: null,
          readiness: null,
          reason: null,
        },
      ],
    });
    assert.deepEqual(
      nitro.requests.map((r) => [r.command, r.service]).sort(),
      [[TAG.query, "db"], [TAG.query, "nope"], [TAG.query, "web"]],
    );
  });
});

Deno.test("a request none of whose services exists throws that service's error", async () => {
  await withTransport(async (t) => {
    await assert.rejects(
      t.send({ op: "pidof", services: ["nope"] }),
      (e) =>
        e instanceof NitroError && e.code === "no-such-service" &&
        e.service === "nope",
    );
  });
});

Deno.test("names C nitro would not take are refused here, unsent: empty, over 64 bytes", async () => {
  await withTransport(async (t, nitro) => {
    const long = "x".repeat(65);
    const answer = await t.send({ op: "pidof", services: ["", long, "web"] });
    assert.deepEqual(answer, {
      ok: true,
      errors: [
        { service: "", code: "bad-name", message: "empty name" },
        {
          service: long,
          code: "bad-name",
          message: "name longer than 64 bytes",
        },
      ],
      pids: { web: 42 },
    });
    assert.deepEqual(nitro.requests.map((r) => r.service), ["web"]);
    // 64 bytes passes (é is two); whatever happens next is not bad-name
    // (here the reply socket's path grows past what a socket address
    // holds, and the error says so).
    await assert.rejects(
      t.send({ op: "pidof", services: ["é".repeat(32)] }),
      (e) => e instanceof NitroError && e.code !== "bad-name",
    );
  });
});

Deno.test("a path stands for its last component; a template's directory for the hinted instance", async () => {
  await withTransport(async (t, nitro) => {
    await t.send({
      op: "pidof",
      services: ["/etc/nitro/web/", "/sv/app@"],
      hint: "app@one",
    });
    assert.deepEqual(nitro.requests.map((r) => r.service).sort(), [
      "app@one",
      "web",
    ]);
  });
});

Deno.test("pidof: the pid, or null for a service without a process", async () => {
  await withTransport(async (t) => {
    assert.deepEqual(await t.send({ op: "pidof", services: ["web", "cron"] }), {
      ok: true,
      pids: { web: 42, cron: null },
    });
  });
});

Deno.test("info: what C nitro tells, null for the rest; pid1 from its pid", async () => {
  await withTransport(async (t) => {
    assert.deepEqual(await t.send({ op: "info" }), {
      ok: true,
      info: {
        pid: 1,
        protocol: null,
        version: null,
        services: 4,
        reaps: 99,
        svReaps: 12,
        fds: null,
        rss: null,
        boot: null,
        uptime: null,
        dir: null,
        pid1: true,
      },
    });
  });
});

Deno.test("up with a wait: judged on the notifications after the acknowledgement; verbose streams them", async () => {
  await withTransport(async (t) => {
    const events: ServiceEvent[] = [];
    const answer = await t.send(
      { op: "up", services: ["web", "db"], wait: "up", verbose: true },
      { onEvent: (e) => events.push(e) },
    );
    assert.deepEqual(answer, {
      ok: true,
      results: [
        { name: "web", state: "UP", ok: true },
        { name: "db", state: "FATAL", ok: false },
      ],
    });
    const of = (name: string) =>
      events.filter((e) => e.name === name).map((e) => e.state);
    assert.deepEqual(of("web"), ["STARTING", "UP"]);
    assert.deepEqual(of("db"), ["STARTING", "FATAL"]);
    assert.ok(events.every((e) => e.pid === null && Number.isInteger(e.time)));
    // Without a wait, the acknowledgement settles it, in the state known.
    assert.deepEqual(await t.send({ op: "down", services: ["web"] }), {
      ok: true,
      results: [{ name: "web", state: "SHUTDOWN", ok: true }],
    });
  });
});

Deno.test("wait: the current state by query, then its changes", async () => {
  await withTransport(async (t) => {
    assert.deepEqual(
      await t.send({ op: "wait", services: ["web"], wait: "up" }),
      { ok: true, results: [{ name: "web", state: "UP", ok: true }] },
    );
    assert.deepEqual(
      await t.send({ op: "wait", services: ["db"], wait: "up" }),
      { ok: true, results: [{ name: "db", state: "FATAL", ok: false }] },
    );
  });
});

Deno.test("signal: the OS's number; 'no such service' from C nitro with the service there means no process", async () => {
  await withTransport(async (t, nitro) => {
    const answer = await t.send({
      op: "signal",
      services: ["web", "cron"],
      signal: "SIGHUP",
    });
    assert.deepEqual(answer, {
      ok: true,
      results: [
        { name: "web", state: "UP", ok: true },
        { name: "cron", state: "DOWN", ok: false },
      ],
    });
    const sent = nitro.requests.filter((r) => r.command === TAG.signal);
    assert.deepEqual(sent.map((r) => r.signal), [1, 1]);
    await assert.rejects(
      t.send({ op: "signal", services: ["nope"], signal: "SIGTERM" }),
      { code: "no-such-service" },
    );
  });
});

Deno.test("rescan is acknowledged; a command C nitro does not know is unknown-op; events has its own method", async () => {
  await withTransport(async (t) => {
    assert.deepEqual(await t.send({ op: "rescan" }), { ok: true });
    await assert.rejects(
      t.send({ op: "ready", services: ["web"] }),
      (e) =>
        e instanceof NitroError && e.code === "unknown-op" &&
        e.message === "command not implemented in C nitro",
    );
    await assert.rejects(t.send({ op: "events" }), { code: "bad-request" });
  });
});

Deno.test("isDatagramSocket", () => {
  const linux = Deno.build.os === "linux";
  const wrong = linux ? 91 : 41;
  assert.ok(isDatagramSocket(new Error(`x (os error ${wrong})`)));
  assert.ok(
    isDatagramSocket(
      new Error("connect", { cause: new Error(`x (os error ${wrong})`) }),
    ),
  );
  assert.ok(!isDatagramSocket(new Error(`x (os error ${wrong + 1})`)));
  assert.ok(!isDatagramSocket(`x (os error ${wrong})`));
});
