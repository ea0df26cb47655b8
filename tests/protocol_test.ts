/**
 * The protocol defined once (src/protocol.ts): `parseRequest`, which the
 * daemon answers from, and `parseServerLine`, which clients validate
 * replies with.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkResponse,
  ERROR_CODES,
  OPS,
  parseRequest,
  parseServerLine,
  SIGNALS,
  WAIT_TARGETS,
} from "../src/protocol.ts";

/** The error of a refused line: [code, message, service, id]. */
function refused(line: string, lossy = false) {
  const parsed = parseRequest(line, { lossy });
  assert.equal(parsed.ok, false, `accepted: ${line}`);
  if (parsed.ok) throw new Error("unreachable");
  const { error, id } = parsed.response;
  return {
    code: error.code,
    message: error.message,
    service: error.service,
    id,
  };
}

function accepted(line: string, lossy = false) {
  const parsed = parseRequest(line, { lossy });
  if (!parsed.ok) {
    throw new Error(`refused ${line}: ${JSON.stringify(parsed.response)}`);
  }
  return parsed;
}

Deno.test("parseRequest: not an object, no op, unknown op", () => {
  for (const line of ["not json", "[1,2]", "42", "null", '"x"', "{"]) {
    assert.equal(refused(line).code, "bad-request", line);
  }
  assert.equal(refused("{}").code, "bad-request");
  assert.equal(refused('{"op":7}').code, "bad-request");
  const unknown = refused('{"id":"x","op":"frob"}');
  assert.equal(unknown.code, "unknown-op");
  assert.equal(unknown.id, "x", "the id is echoed even when refused");
  assert.match(unknown.message, /frob/);
});

Deno.test("parseRequest: ids are strings or finite numbers", () => {
  assert.equal(accepted('{"id":1,"op":"info"}').request.id, 1);
  assert.equal(accepted('{"id":"a","op":"info"}').request.id, "a");
  assert.equal(accepted('{"op":"info"}').request.id, undefined);
  for (const id of ["{}", "[1]", "true", "null"]) {
    const r = refused(`{"id":${id},"op":"info"}`);
    assert.equal(r.code, "bad-request", id);
    assert.equal(r.id, undefined);
  }
});

Deno.test("parseRequest: every op with its fields; unknown fields dropped", () => {
  for (const op of OPS) {
    const needs = ["up", "down", "restart", "wait", "ready", "signal", "pidof"]
      .includes(op);
    const extra = op === "wait"
      ? ',"wait":"up"'
      : op === "signal"
      ? ',"signal":"SIGHUP"'
      : "";
    const line = `{"op":"${op}","junk":1${
      needs ? ',"services":["a"]' : ""
    }${extra}}`;
    const { request } = accepted(line);
    assert.equal(request.op, op);
    assert.equal("junk" in request, false);
    if (needs) {
      assert.equal(refused(`{"op":"${op}"${extra}}`).code, "bad-request");
    }
  }
  const up = accepted(
    '{"id":3,"op":"up","services":["a","/x/b"],"hint":"b@1","wait":"up","verbose":true}',
  ).request;
  assert.deepEqual(up, {
    op: "up",
    id: 3,
    services: ["a", "/x/b"],
    hint: "b@1",
    wait: "up",
    verbose: true,
  });
  assert.deepEqual(accepted('{"op":"events","replay":true}').request, {
    op: "events",
    replay: true,
  });
  assert.deepEqual(accepted('{"op":"list"}').request, { op: "list" });
  assert.deepEqual(accepted('{"op":"status","services":[]}').request, {
    op: "status",
    services: [],
  });
});

Deno.test("parseRequest: wrong field types are bad-request", () => {
  for (
    const line of [
      '{"op":"up","services":"a"}',
      '{"op":"up","services":[1]}',
      '{"op":"list","services":{}}',
      '{"op":"up","services":["a"],"hint":3}',
      '{"op":"up","services":["a"],"wait":"never"}',
      '{"op":"wait","services":["a"]}',
      '{"op":"wait","services":["a"],"wait":"up","verbose":"yes"}',
      '{"op":"signal","services":["a"],"signal":"SIGFOO"}',
      '{"op":"signal","services":["a"]}',
      '{"op":"events","replay":1}',
    ]
  ) {
    assert.equal(refused(line).code, "bad-request", line);
  }
  for (const target of WAIT_TARGETS) {
    accepted(`{"op":"wait","services":["a"],"wait":"${target}"}`);
  }
  for (const signal of SIGNALS) {
    accepted(`{"op":"signal","services":["a"],"signal":"${signal}"}`);
  }
});

Deno.test("parseRequest: bad names refused as bad-name, the others kept", () => {
  const bad = [
    ".x",
    "",
    "a/b",
    "a,b",
    "x".repeat(64),
    "esc\u001b[2J",
    "nul\u0000",
    "del\u007f",
    "tab\t",
    "\ud800lone",
  ];
  for (const name of bad) {
    const line = JSON.stringify({ id: 9, op: "up", services: [name] });
    const r = refused(line);
    assert.equal(r.code, "bad-name", JSON.stringify(name));
    assert.equal(r.service, name);
    assert.equal(r.id, 9);
  }
  // Partial: the good ones stay, the bad ones are listed in order.
  const parsed = accepted(JSON.stringify({
    op: "down",
    services: ["a", "b\u0001", "/srv/c", "d\u007f"],
  }));
  assert.deepEqual(
    (parsed.request as { services: string[] }).services,
    ["a", "/srv/c"],
  );
  assert.deepEqual(parsed.rejected.map((e) => [e.service, e.code]), [
    ["b\u0001", "bad-name"],
    ["d\u007f", "bad-name"],
  ]);
  // A path may hold odd characters, but not NUL.
  assert.equal(
    refused(JSON.stringify({ op: "pidof", services: ["/a\u0000b"] })).code,
    "bad-name",
  );
});

Deno.test("parseRequest: a line that was not UTF-8 refuses names holding U+FFFD", () => {
  const line = '{"op":"up","services":["a\uFFFDb","ok"]}';
  const parsed = accepted(line, true);
  assert.deepEqual(parsed.rejected.map((e) => e.message), [
    "name is not valid UTF-8",
  ]);
  // Valid UTF-8: U+FFFD is a character like any other.
  assert.equal(accepted(line).rejected.length, 0);
});

Deno.test("parseServerLine: events and answers of every shape", () => {
  const good = [
    { event: { name: "a", state: "UP", pid: 4, time: 12 } },
    { id: 1, event: { name: "a", state: "DOWN", pid: null, time: 0 } },
    { ok: true },
    {
      id: "x",
      ok: true,
      services: [{ name: "a", state: "UP", pid: 1, wstatus: 0, seconds: 3 }],
      errors: [{ service: "b", code: "no-such-service", message: "no" }],
    },
    {
      ok: true,
      details: [{
        name: "a",
        state: "FATAL",
        pid: null,
        wstatus: -1,
        seconds: 3,
        uptime: null,
        restarts: 2,
        lastExit: "exited 3",
        logger: "LOG",
        readiness: "manual",
        reason: "run is not executable",
      }],
    },
    {
      ok: true,
      info: {
        pid: 1,
        protocol: 1,
        version: "0.1.0",
        services: 3,
        reaps: 4,
        svReaps: 2,
        fds: 9,
        rss: 1000,
        boot: 5,
        uptime: 10,
        dir: "/etc/nitro",
        pid1: false,
      },
    },
    { ok: true, results: [{ name: "a", state: "UP", ok: false }] },
    { ok: true, pids: { a: 3, b: null } },
    { ok: false, error: { code: "busy", message: "too many clients" } },
    // A code from a newer daemon still reads.
    { ok: false, error: { code: "later", message: "m", service: "a" } },
  ];
  for (const value of good) {
    const parsed = parseServerLine(JSON.stringify(value));
    assert.ok(parsed.ok, `${JSON.stringify(value)}: ${JSON.stringify(parsed)}`);
    assert.deepEqual(parsed.line, value);
  }
  assert.ok(ERROR_CODES.includes("internal") && ERROR_CODES.includes("busy"));
});

Deno.test("parseServerLine: malformed lines are told apart", () => {
  const bad: [unknown, RegExp][] = [
    [[1], /object/],
    [{ id: {}, ok: true }, /id/],
    [{ event: { name: "a", state: "SLEEPY", pid: 1, time: 1 } }, /state/],
    [{ event: { name: "a", state: "UP", pid: "1", time: 1 } }, /pid/],
    [{ ok: true, services: [{ name: "a" }] }, /services/],
    [{ ok: true, pids: [1] }, /pids/],
    [{ ok: true, pids: { a: "1" } }, /pids/],
    [{ ok: true, results: [{ name: "a", state: "UP", ok: 1 }] }, /results/],
    [{ ok: true, info: { pid: 1 } }, /info/],
    [{ ok: false }, /error/],
    [{ ok: false, error: { code: "x" } }, /message/],
    [{ ok: false, error: { code: "x", message: "m", service: 1 } }, /service/],
    [{ hello: 1 }, /neither/],
  ];
  for (const [value, problem] of bad) {
    const parsed = parseServerLine(JSON.stringify(value));
    assert.equal(parsed.ok, false, JSON.stringify(value));
    if (!parsed.ok) assert.match(parsed.problem, problem);
  }
  const notJson = parseServerLine("{oops");
  assert.equal(notJson.ok, false);
});

Deno.test("checkResponse: an answer must have the fields of its op's", () => {
  const payload: Record<string, object> = {
    list: { services: [] },
    status: { details: [] },
    info: {
      info: {
        pid: 1,
        protocol: 1,
        version: "0.1.0",
        services: 0,
        reaps: 0,
        svReaps: 0,
        fds: 3,
        rss: 1,
        boot: 0,
        uptime: 0,
        dir: "/etc/nitro",
        pid1: false,
      },
    },
    up: { results: [] },
    down: { results: [] },
    restart: { results: [] },
    wait: { results: [] },
    ready: { results: [] },
    signal: { results: [] },
    pidof: { pids: {} },
  };
  for (const op of OPS) {
    const fields = payload[op] ?? {};
    const good = checkResponse(op, { id: 4, ok: true, ...fields });
    assert.ok(good.ok, op);
    assert.deepEqual(good.line, { id: 4, ok: true, ...fields });
    if (Object.keys(fields).length > 0) {
      const bare = checkResponse(op, { ok: true });
      assert.equal(bare.ok, false, `${op} without its payload`);
    }
  }
  // Another op's payload is not this op's.
  assert.equal(checkResponse("list", { ok: true, pids: {} }).ok, false);
  const partly = checkResponse("pidof", {
    ok: true,
    pids: { a: 1 },
    errors: [{ service: "b", code: "no-such-service", message: "no" }],
  });
  assert.ok(partly.ok && partly.line.errors?.[0].service === "b");
});
