/**
 * runCommand in process against a fake nitro: what it sends, prints and
 * returns where the common paths do not go - names too long counted in
 * bytes, a FATAL whose reason cannot be had, a Shutdown refused rather
 * than cut off, what -v asks for, and an empty answer printing nothing.
 * Also tested: tests/ctl/nitroctl_test.ts (every command through the real
 * binary), tests/ctl/main_test.ts (main's statuses in process),
 * tests/ctl/json_errors_test.ts (--json errors), tests/ctl/spat_*_test.ts
 * (against C nitro).
 *
 * @module
 */

import assert from "node:assert/strict";
import { NitroClient, NitroError } from "../../src/client.ts";
import { parseCommandLine } from "../../src/ctl/args.ts";
import { EXIT } from "../../src/ctl/exit.ts";
import { runCommand } from "../../src/ctl/run.ts";
import type { ServiceArgs } from "../../src/ctl/services.ts";
import type { Request } from "../../src/protocol.ts";
import { FakeDaemon, type Handler } from "../helpers/fake_daemon.ts";

/** A request without its id, to compare. */
function bare(request: Request): Record<string, unknown> {
  const { id: _, ...rest } = request;
  return rest;
}

/** `nitroctl ARGS` run in process; SERVICE words are taken as they are. */
async function run(
  handler: Handler,
  args: string[],
  target?: ServiceArgs,
) {
  await using daemon = await FakeDaemon.start(handler);
  using client = await NitroClient.connect(daemon.path);
  const line = await parseCommandLine({ name: "nitroctl", args });
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(
    client,
    line,
    target ?? { services: line.services },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  return { code, out, err, requests: daemon.requests.map(bare) };
}

/** Answers every acting request with each service ok in `state`. */
const allOk = (state = "UP"): Handler => (request, reply) =>
  reply.ok({
    results: ("services" in request ? request.services ?? [] : []).map((
      name,
    ) => ({ name, state, ok: true })),
  });

Deno.test("a name is too long past 64 bytes of UTF-8, not 64 characters", async () => {
  const fits = "x".repeat(64);
  const wide = "é".repeat(33); // 66 bytes in 33 characters
  const r = await run(allOk(), ["up", fits, wide]);
  assert.deepEqual(r.err, [`nitroctl: service name too long: ${wide}`]);
  assert.deepEqual(r.requests, [{ op: "up", services: [fits] }]);
  // The others were served, yet the status says one was not.
  assert.equal(r.code, EXIT.unavailable);
});

Deno.test("a path is never too long: nitro resolves it, not its last word", async () => {
  const path = `/${"d".repeat(80)}/web`;
  const r = await run(allOk(), ["up", path]);
  assert.deepEqual([r.code, r.err], [EXIT.ok, []]);
  assert.deepEqual(r.requests, [{ op: "up", services: [path] }]);
});

Deno.test("only names too long: nothing sent, nothing printed on stdout", async () => {
  const r = await run(allOk(), ["--json", "start", "y".repeat(65)]);
  assert.deepEqual([r.code, r.out, r.requests], [EXIT.unavailable, [], []]);
  assert.equal(r.err.length, 1);
});

Deno.test("a FATAL start whose reason cannot be had is still C's line, status 1", async () => {
  const handler: Handler = (request, reply) =>
    request.op === "status"
      ? reply.fail("busy", "too many clients")
      : reply.ok({ results: [{ name: "a", state: "FATAL", ok: false }] });
  const r = await run(handler, ["start", "a"]);
  assert.deepEqual([r.code, r.err], [EXIT.failed, [
    "nitroctl: failed to start 'a'",
  ]]);
  // The reason was asked for, for the FATAL one only.
  assert.deepEqual(r.requests.map((q) => q.op), ["up", "status"]);
});

Deno.test("a wait that ends elsewhere than FATAL says where, and asks no reason", async () => {
  const handler: Handler = (_, reply) =>
    reply.ok({
      results: [
        { name: "a", state: "DOWN", ok: false },
        { name: "b", state: "UP", ok: true },
      ],
    });
  const r = await run(handler, ["--json", "restart", "a", "b"]);
  assert.equal(r.code, EXIT.failed);
  assert.deepEqual(r.err, ["nitroctl: failed to restart 'a': it is DOWN"]);
  assert.deepEqual(JSON.parse(r.out[0]), [
    {
      name: "a",
      state: "DOWN",
      ok: false,
      error: { code: "fatal", message: "it is DOWN", service: "a" },
    },
    { name: "b", state: "UP", ok: true },
  ]);
  assert.deepEqual(r.requests.map((q) => q.op), ["restart"]);
});

Deno.test("a signal with no process: no reason asked, status 111, no-process under --json", async () => {
  const handler: Handler = (_, reply) =>
    reply.ok({ results: [{ name: "a", state: "FATAL", ok: false }] });
  const r = await run(handler, ["--json", "kill", "a"]);
  assert.equal(r.code, EXIT.unavailable);
  assert.equal(JSON.parse(r.out[0])[0].error.code, "no-process");
  assert.deepEqual(r.err, [
    "nitroctl: no such service 'a': no process to signal",
  ]);
  assert.deepEqual(r.requests, [{
    op: "signal",
    services: ["a"],
    signal: "SIGKILL",
  }]);
});

Deno.test("Shutdown refused (not cut off) is thrown, as nitro said it", async () => {
  for (const word of ["Shutdown", "Reboot"]) {
    const refusing: Handler = (_, reply) =>
      reply.fail("busy", "already shutting down");
    const error = await run(refusing, [word]).then(() => null, (e) => e);
    assert.ok(error instanceof NitroError, String(error));
    assert.deepEqual([error.code, error.message], [
      "busy",
      "already shutting down",
    ]);
  }
});

Deno.test("-v asks for events only where C nitroctl prints them", async () => {
  const sent = async (args: string[]) =>
    (await run(allOk("STARTING"), ["-v", ...args])).requests[0];
  assert.deepEqual(await sent(["wait-starting", "a"]), {
    op: "wait",
    services: ["a"],
    wait: "starting",
  });
  assert.deepEqual(await sent(["ready", "a"]), {
    op: "ready",
    services: ["a"],
  });
  assert.deepEqual(await sent(["term", "a"]), {
    op: "signal",
    services: ["a"],
    signal: "SIGTERM",
  });
  assert.deepEqual(await sent(["wait-down", "a"]), {
    op: "wait",
    services: ["a"],
    wait: "down",
    verbose: true,
  });
  assert.deepEqual(await sent(["down", "a"]), {
    op: "down",
    services: ["a"],
    verbose: true,
  });
});

Deno.test("a hint goes with the services; no SERVICE sends no services", async () => {
  const list: Handler = (_, reply) => reply.ok({ services: [] });
  const none = await run(list, ["list"]);
  assert.deepEqual(none.requests, [{ op: "list" }]);
  // An empty list prints nothing, not an empty line.
  assert.deepEqual([none.code, none.out, none.err], [EXIT.ok, [], []]);
  const hinted = await run(allOk(), ["up", "web"], {
    services: ["/srv/web"],
    hint: "/srv",
  });
  assert.deepEqual(hinted.requests, [{
    op: "up",
    services: ["/srv/web"],
    hint: "/srv",
  }]);
});

Deno.test("pidof --json: the pids, then each service not served with its error", async () => {
  const handler: Handler = (_, reply) =>
    reply.ok({
      pids: { a: 12, b: null },
      errors: [{
        service: "ghost",
        code: "no-such-service",
        message: "no such service",
      }],
    });
  const r = await run(handler, ["--json", "pidof", "a", "b", "ghost"]);
  assert.equal(r.code, EXIT.unavailable); // not served beats no pid
  const all = JSON.parse(r.out[0]);
  assert.deepEqual([all.a, all.b, all.ghost.ok], [12, null, false]);
  assert.equal(all.ghost.error.service, "ghost");
  assert.deepEqual(r.err, ["nitroctl: no such service 'ghost'"]);
  // As text: only the pids there are, one per line, in the order of the
  // arguments: one query each, as C nitroctl's.
  const known: Record<string, number | null> = { a: 12, b: null, c: 13 };
  const asked: unknown[] = [];
  const each: Handler = (request, reply) => {
    const services = "services" in request ? request.services ?? [] : [];
    asked.push(services);
    const [name] = services;
    reply.ok({ pids: { [name]: known[name] } });
  };
  const text = await run(each, ["pidof", "c", "b", "a", "c"]);
  assert.deepEqual(text.out, ["13", "12", "13"]);
  assert.equal(text.code, EXIT.failed); // b has no process
  assert.deepEqual(asked, [["c"], ["b"], ["a"], ["c"]]);
});
