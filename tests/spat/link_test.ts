/**
 * Tests of src/spat/link.ts against an in-process fake C nitro
 * (tests/helpers/fake_c_nitro.ts): the request's bytes, the reply socket's
 * name and its removal however a request ends, which datagrams reach
 * `settle`, and the errors. A real C nitro that never answers (the 5 s
 * limit) and Ctrl-C are tested in tests/ctl/spat_robust_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroError } from "../../src/client.ts";
import { type Reply, TAG } from "../../src/spat/codec.ts";
import { MAX_DATAGRAM_BYTES, SpatLink } from "../../src/spat/link.ts";
import {
  FakeCNitro,
  noSuchService,
  ok,
  queryAnswer,
  stateChange,
} from "../helpers/fake_c_nitro.ts";

/** A request that settles on the first reply that is not a notification. */
const answer = (r: Reply) => r.kind === "state" ? undefined : r;

Deno.test("SpatLink: the notify directory beside the control socket", () => {
  assert.equal(
    new SpatLink("/run/nitro/nitro.sock").notifyDir,
    "/run/nitro/notify",
  );
  assert.equal(new SpatLink("/nitro.sock").notifyDir, "//notify");
  assert.equal(new SpatLink("nitro.sock").notifyDir, "./notify");
});

Deno.test("call: C nitroctl's request bytes from SERVICE,PID_N; the reply socket is removed after", async () => {
  await using nitro = FakeCNitro.start(() => [ok()]);
  const link = new SpatLink(nitro.path);
  assert.deepEqual(
    await link.call({ command: TAG.up, service: "web", settle: answer }),
    { kind: "ok" },
  );
  assert.deepEqual(
    await link.call({
      command: TAG.signal,
      service: "db",
      signal: 15,
      settle: answer,
    }),
    { kind: "ok" },
  );
  await link.call({ command: TAG.rescan, settle: answer });
  const [up, signal, rescan] = nitro.requests;
  assert.deepEqual(
    [up.command, up.service, signal.command, signal.signal, signal.service],
    [TAG.up, "web", TAG.signal, 15, "db"],
  );
  assert.deepEqual([rescan.command, rescan.service], [TAG.rescan, ""]);
  const name = new RegExp(`^${nitro.notifyDir}/web,${Deno.pid}_\\d+$`);
  assert.match(up.from, name);
  assert.match(rescan.from, new RegExp(`/,${Deno.pid}_\\d+$`));
  assert.notEqual(up.from, rescan.from, "a fresh socket per request");
  assert.deepEqual(nitro.notifyEntries(), []);
});

Deno.test("call: settle sees every datagram that makes sense, in order; garbage and oversized ones are skipped", async () => {
  const oversized = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
  await using nitro = FakeCNitro.start(() => [
    new Uint8Array([9, 9, 9]), // Garbage.
    oversized,
    stateChange("web", "STARTING"),
    new Uint8Array([0, 0, 250]), // An unknown tag: makes no sense.
    stateChange("web", "UP"),
    ok(),
    stateChange("web", "DOWN"), // After the settling one: never seen.
  ]);
  const seen: Reply[] = [];
  const result = await new SpatLink(nitro.path).call({
    command: TAG.up,
    service: "web",
    settle: (r) => {
      seen.push(r);
      return r.kind === "ok" ? "done" : undefined;
    },
  });
  assert.equal(result, "done");
  assert.deepEqual(seen, [
    { kind: "state", state: "STARTING", name: "web" },
    { kind: "state", state: "UP", name: "web" },
    { kind: "ok" },
  ]);
  assert.deepEqual(nitro.notifyEntries(), []);
});

Deno.test("call: what settle throws is the call's error, and the socket is removed", async () => {
  await using nitro = FakeCNitro.start(() => [noSuchService()]);
  await assert.rejects(
    new SpatLink(nitro.path).call({
      command: TAG.query,
      service: "x",
      settle: () => {
        throw new NitroError("no-such-service", "no such service");
      },
    }),
    { code: "no-such-service" },
  );
  assert.deepEqual(nitro.notifyEntries(), []);
});

Deno.test("call: an abort ends it with the abort's reason; close ends it as disconnected", async () => {
  await using nitro = FakeCNitro.start(() => []); // Never answers.
  const link = new SpatLink(nitro.path);
  const controller = new AbortController();
  const aborted = link.call(
    { command: TAG.query, service: "a", settle: answer },
    controller.signal,
  );
  while (nitro.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
  controller.abort(new Error("stop it"));
  await assert.rejects(aborted, { message: "stop it" });

  const closed = link.call({
    command: TAG.query,
    service: "b",
    settle: answer,
  });
  while (nitro.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(nitro.notifyEntries().length, 1);
  link.close();
  await assert.rejects(
    closed,
    (e) => e instanceof NitroError && e.code === "disconnected",
  );
  assert.deepEqual(nitro.notifyEntries(), []);
  // Aborted before it began: nothing is sent.
  await assert.rejects(
    link.call({ command: TAG.up, settle: answer }, AbortSignal.abort("no")),
  );
  assert.equal(nitro.requests.length, 2);
});

Deno.test("call: a name with a / cannot name a reply socket (as with C nitroctl): a clear error, nothing sent", async () => {
  await using nitro = FakeCNitro.start(() => [ok()]);
  await assert.rejects(
    new SpatLink(nitro.path).call({
      command: TAG.up,
      service: "a/b",
      settle: answer,
    }),
    (e) =>
      e instanceof NitroError && e.code === "unreachable" &&
      new RegExp(
        `^could not bind socket to '${nitro.notifyDir}/a/b,${Deno.pid}_\\d+': No such file or directory$`,
      ).test(e.message),
  );
  assert.deepEqual(nitro.requests, []);
});

Deno.test("call: no C nitro at the path is unreachable, naming the path and the reason", async () => {
  await using nitro = FakeCNitro.start(() => [ok()]);
  const missing = join(nitro.dir, "gone.sock");
  await assert.rejects(
    new SpatLink(missing).call({ command: TAG.info, settle: answer }),
    (e) =>
      e instanceof NitroError && e.code === "unreachable" &&
      e.message ===
        `cannot reach nitro at ${missing}: No such file or directory`,
  );
  assert.deepEqual(nitro.notifyEntries(), []);
  // No notify directory to bind the reply socket in.
  const elsewhere = join(nitro.dir, "sub", "nitro.sock");
  await assert.rejects(
    new SpatLink(elsewhere).call({ command: TAG.info, settle: answer }),
    (e) =>
      e instanceof NitroError && e.code === "unreachable" &&
      e.message.startsWith(
        `could not bind socket to '${join(nitro.dir, "sub", "notify")}/,`,
      ) && !e.message.includes("os error"),
  );
});

Deno.test("changes: every state change sent to ALL,PID_N, until the abort", async () => {
  await using nitro = FakeCNitro.start(() => []);
  const link = new SpatLink(nitro.path);
  const controller = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    for await (const c of link.changes(controller.signal)) {
      seen.push(`${c.state} ${c.name}`);
      if (seen.length === 2) controller.abort();
    }
  })();
  let socket: string | undefined;
  while (socket === undefined) {
    socket = nitro.notifyEntries().find((n) => n.startsWith("ALL,"));
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.match(socket, new RegExp(`^ALL,${Deno.pid}_\\d+$`));
  const to = join(nitro.notifyDir, socket);
  await nitro.send(to, ok()); // Not a change: skipped.
  await nitro.send(to, stateChange("a", "UP"));
  await nitro.send(
    to,
    queryAnswer({ state: "UP", pid: 1, wstatus: 0, uptime: 0 }),
  );
  await nitro.send(to, stateChange("b/c", "FATAL"));
  await reading;
  assert.deepEqual(seen, ["UP a", "FATAL b/c"]);
  assert.deepEqual(nitro.notifyEntries(), []);
});
