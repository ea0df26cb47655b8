/**
 * Tests of src/spat/ctl.ts: nitroctl's commands against an in-process fake
 * C nitro (tests/helpers/fake_c_nitro.ts): the requests made, the lines
 * printed and the exit status. The same commands beside C nitroctl's own,
 * against a real C nitro, are compared in tests/ctl/spat_queries_test.ts
 * and tests/ctl/spat_verbs_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroClient } from "../../src/client.ts";
import { parseCommandLine } from "../../src/ctl/args.ts";
import { runAgainstC } from "../../src/spat/ctl.ts";
import { TAG } from "../../src/spat/codec.ts";
import {
  FakeCNitro,
  type FakeRequest,
  type FakeService,
  infoAnswer,
  listAnswer,
  noSuchService,
  ok,
  queryAnswer,
  stateChange,
} from "../helpers/fake_c_nitro.ts";

const SERVICES: FakeService[] = [
  { name: "web", state: "UP", pid: 42, wstatus: 0, uptime: 30 },
  { name: "db", state: "FATAL", pid: 0, wstatus: 256, uptime: 5 },
  { name: "cron", state: "DOWN", pid: 0, wstatus: 0, uptime: 9 },
];

function cNitro(r: FakeRequest): Uint8Array[] {
  const s = SERVICES.find((s) => s.name === r.service);
  switch (r.command) {
    case TAG.list:
      return [listAnswer(SERVICES)];
    case TAG.info:
      return [infoAnswer([[TAG.nitroPid, 77], [TAG.maxService, 3], [200, 1]])];
    case TAG.query:
      return [s ? queryAnswer(s) : noSuchService()];
    case TAG.up:
    case TAG.restart:
      if (!s) return [noSuchService()];
      return [
        stateChange(s.name, "STARTING"),
        ok(),
        stateChange(s.name, s.name === "db" ? "FATAL" : "UP"),
      ];
    case TAG.signal:
      return [s && s.pid !== 0 ? ok() : noSuchService()];
    default:
      return [ok()];
  }
}

/** Run `nitroctl ARGS` against a fresh fake C nitro. */
async function nitroctl(...args: string[]) {
  await using nitro = FakeCNitro.start(cNitro);
  const out: string[] = [];
  const err: string[] = [];
  const client = await NitroClient.connect(nitro.path);
  assert.equal(client.server, "c");
  try {
    const line = await parseCommandLine({ name: "nitroctl", args });
    const code = await runAgainstC(client, line, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return {
      code,
      out,
      err,
      requests: nitro.requests,
      left: nitro.notifyEntries(),
    };
  } finally {
    client.close();
  }
}

Deno.test("list: one request, C nitroctl's lines; with names, one query each", async () => {
  const all = await nitroctl("list");
  assert.deepEqual([all.code, all.err], [0, []]);
  assert.deepEqual(all.out, [
    "DOWN cron (wstatus 0) 9s",
    "FATAL db (wstatus 256) 5s",
    "UP web (pid 42) (wstatus 0) 30s",
  ]);
  assert.deepEqual(all.requests.map((r) => r.command), [TAG.list]);
  assert.deepEqual(all.left, [], "no reply socket left");

  const some = await nitroctl("list", "web", "nope");
  assert.equal(some.code, 111);
  assert.deepEqual(some.out, ["UP web (pid 42) (wstatus 0) 30s"]);
  assert.deepEqual(some.err, ["nitroctl: no such service 'nope'"]);
});

Deno.test("info: C nitroctl's keys, an unknown tag named", async () => {
  const r = await nitroctl("info");
  assert.deepEqual([r.code, r.out], [0, [
    "nitro_pid 77",
    "max_service 3",
    "# unknown tag 0xc8",
  ]]);
});

Deno.test("start: 0 once UP, 1 with C nitroctl's words once FATAL; -v shows the states", async () => {
  const good = await nitroctl("-v", "start", "web");
  assert.deepEqual([good.code, good.out, good.err], [
    0,
    ["STARTING web", "UP web"],
    [],
  ]);
  const bad = await nitroctl("start", "db");
  assert.deepEqual([bad.code, bad.out, bad.err], [
    1,
    [],
    ["nitroctl: failed to start 'db'"],
  ]);
  const restart = await nitroctl("restart", "db");
  assert.deepEqual(restart.err, ["nitroctl: failed to restart 'db'"]);
  // Several: the worst status.
  const both = await nitroctl("start", "web", "db", "nope");
  assert.equal(both.code, 111);
  assert.deepEqual(both.err.sort(), [
    "nitroctl: failed to start 'db'",
    "nitroctl: no such service 'nope'",
  ]);
});

Deno.test("pidof and check: the pid, or status 1 for no process", async () => {
  const web = await nitroctl("pidof", "web");
  assert.deepEqual([web.code, web.out], [0, ["42"]]);
  const cron = await nitroctl("pidof", "cron");
  assert.deepEqual([cron.code, cron.out], [1, []]);
  assert.equal((await nitroctl("check", "web")).code, 0);
  assert.equal((await nitroctl("check", "cron")).code, 1);
});

Deno.test("a signal command sends the number, naming each service", async () => {
  const r = await nitroctl("hup", "web", "cron");
  assert.equal(r.code, 111);
  assert.deepEqual(r.err, ["nitroctl: no such service 'cron'"]);
  const sent = r.requests.filter((q) => q.command === TAG.signal);
  assert.deepEqual(sent.map((q) => [q.signal, q.service]).sort(), [
    [1, "cron"],
    [1, "web"],
  ]);
});

Deno.test("status: what C nitro tells, unknown for the rest; unknown services named C's way", async () => {
  const r = await nitroctl("status", "web", "nope");
  assert.equal(r.code, 111);
  assert.deepEqual(r.out, [
    "web",
    "  state:     UP for 30s",
    "  pid:       42",
    "  uptime:    30s",
    "  last exit: unknown (wstatus 0)",
    "  restarts:  unknown",
    "  logger:    unknown",
    "  readiness: unknown",
  ]);
  assert.deepEqual(r.err, ["nitroctl: no such service 'nope'"]);
});

Deno.test("blame and plot: not available from C nitro (status 2, nothing sent)", async () => {
  for (const command of ["blame", "plot"]) {
    const r = await nitroctl(command);
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, [
      `nitroctl: ${command} is not available from C nitro (it keeps no history of events)`,
    ]);
    assert.deepEqual(r.requests, []);
  }
});

Deno.test("a path names the service by its last component; a missing path is an error, nothing sent", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spat_ctl_test_" });
  try {
    Deno.mkdirSync(join(dir, "web"));
    const found = await nitroctl("pidof", join(dir, "x", "..", "web"));
    assert.deepEqual([found.code, found.out], [0, ["42"]]);
    assert.deepEqual(found.requests.map((q) => q.service), ["web"]);
    const missing = join(dir, "gone");
    const r = await nitroctl("pidof", missing);
    assert.equal(r.code, 111);
    assert.deepEqual(r.err, [
      `nitroctl: no such service: ${missing}: No such file or directory`,
    ]);
    assert.deepEqual(r.requests, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a name over 64 bytes: C nitroctl's error, nothing sent for it", async () => {
  const long = "x".repeat(65);
  const r = await nitroctl("pidof", long, "web");
  assert.equal(r.code, 111);
  assert.deepEqual(r.err, [`nitroctl: service name too long: ${long}`]);
  assert.deepEqual(r.out, ["42"]);
  assert.deepEqual(r.requests.map((q) => q.service), ["web"]);
});
