/**
 * `nitroctl --json`: on every failure path stdout carries exactly one JSON
 * document with the error's stable code, stderr keeps the human line, and
 * the exit status stays as documented.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  basicHandler,
  BusyServer,
  FakeDaemon,
  status,
} from "../helpers/fake_daemon.ts";
import { CTL_ERROR_CODES } from "../../src/ctl/exit.ts";
import { Nitro } from "../helpers/nitro.ts";
import { nitroctl, type Run } from "./run_nitroctl.ts";

const TABLE = [
  status("cron", "DOWN", null, 256, 40),
  status("db", "UP", 10, 0, 5),
  status("web", "STARTING", 11),
];

/** The one JSON document on stdout (it must be exactly one line). */
function document(run: Run): unknown {
  const lines = run.stdout.split("\n");
  assert.deepEqual(lines.length, 2, `one line on stdout: ${run.stdout}`);
  assert.equal(lines[1], "");
  return JSON.parse(lines[0]);
}

/** The run failed as a whole: status, error object, human line. */
function failedWith(
  run: Run,
  status: number,
  error: Record<string, unknown>,
  stderr: RegExp,
) {
  const doc = document(run) as { ok: boolean; error: Record<string, unknown> };
  assert.equal(run.code, status, run.stderr);
  assert.equal(doc.ok, false);
  assert.deepEqual(Object.keys(doc).sort(), ["error", "ok"]);
  assert.deepEqual({ ...doc.error, message: undefined }, {
    ...error,
    message: undefined,
  });
  assert.equal(typeof doc.error.message, "string");
  assert.ok(CTL_ERROR_CODES.includes(doc.error.code as never));
  assert.match(run.stderr, stderr);
}

Deno.test("--json: a wrong command line is a usage error document, exit 2", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const cases = [
    ["--json", "frob"],
    ["--json", "--frob"],
    ["--json", "start"],
    ["--json", "-t", "soon", "list"],
    ["--json", "metrics"],
    ["--json", "completion", "tcsh"],
  ];
  for (const args of cases) {
    const run = await nitroctl(daemon.path, args);
    // One line: C's words, why, and where the usage is.
    failedWith(
      run,
      2,
      { code: "usage" },
      /^(usage: nitroctl COMMAND \[SERVICE \.\.\.\]|nitroctl: invalid timeout) \(.*; see nitroctl --help\)\n$/,
    );
  }
  const frob = await nitroctl(daemon.path, ["--json", "frob"]);
  assert.equal(
    (document(frob) as { error: { message: string } }).error.message,
    "unknown command: frob",
  );
  // Without --json, nothing on stdout as before.
  assert.equal((await nitroctl(daemon.path, ["frob"])).stdout, "");
  assert.equal(daemon.connections, 0);
});

Deno.test("--json: unknown service, bad name: nitro's code and the service, exit 111", async () => {
  await using daemon = await FakeDaemon.start((request, reply) => {
    const name = "services" in request ? request.services?.[0] : "";
    return name === ".x"
      ? reply.fail("bad-name", "name starts with '.'", name)
      : reply.fail("no-such-service", "no such service", name);
  });
  for (const args of [["status", "ghost"], ["start", "ghost"]]) {
    failedWith(
      await nitroctl(daemon.path, ["--json", ...args]),
      111,
      { code: "no-such-service", service: "ghost" },
      /^nitroctl: no such service 'ghost'\n$/,
    );
  }
  failedWith(
    await nitroctl(daemon.path, ["--json", "pidof", ".x"]),
    111,
    { code: "bad-name", service: ".x" },
    /^nitroctl: no such service '\.x': name starts with '\.'\n$/,
  );
});

Deno.test("--json: timeout, exit 3", async () => {
  await using daemon = await FakeDaemon.start(() => {}); // never answers
  failedWith(
    await nitroctl(daemon.path, ["--json", "-t", "0.2", "start", "web"]),
    3,
    { code: "timeout" },
    /^nitroctl: action timed out\n$/,
  );
});

Deno.test("--json: unreachable and busy, exit 111", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nitro-json-" });
  try {
    failedWith(
      await nitroctl(`${dir}/nitro.sock`, ["--json", "list"]),
      111,
      { code: "unreachable" },
      /^nitroctl: cannot reach nitro at .+\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await using busy = await BusyServer.start("too many clients (64)");
  for (const args of [["list"], ["events"]]) {
    failedWith(
      await nitroctl(busy.sock, ["--json", ...args]),
      111,
      { code: "busy" },
      /^nitroctl: too many clients \(64\)\n$/,
    );
  }
  await using gone = await FakeDaemon.start((_, reply) => reply.hangup());
  failedWith(
    await nitroctl(gone.path, ["--json", "wait-up", "web"]),
    111,
    { code: "unreachable" },
    /closed the connection\n$/,
  );
});

Deno.test("--json: a start that ends FATAL: each result, the failed one with its error, exit 1", async () => {
  await using daemon = await FakeDaemon.start((request, reply) =>
    request.op === "status" ? reply.ok({ details: [] }) : reply.ok({
      results: [
        { name: "a", state: "UP", ok: true },
        { name: "b", state: "FATAL", ok: false },
      ],
    })
  );
  const run = await nitroctl(daemon.path, ["--json", "start", "a", "b"]);
  assert.equal(run.code, 1);
  assert.deepEqual(document(run), [
    { name: "a", state: "UP", ok: true },
    {
      name: "b",
      state: "FATAL",
      ok: false,
      error: { code: "fatal", message: "FATAL", service: "b" },
    },
  ]);
  assert.equal(run.stderr, "nitroctl: failed to start 'b'\n");
});

Deno.test("--json: a signal to a service without a process: no-process, exit 111 as C", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const run = await nitroctl(daemon.path, ["--json", "hup", "db", "cron"]);
  assert.equal(run.code, 111);
  assert.deepEqual(document(run), [
    { name: "db", state: "UP", ok: true },
    {
      name: "cron",
      state: "DOWN",
      ok: false,
      error: {
        code: "no-process",
        message: "no process to signal",
        service: "cron",
      },
    },
  ]);
  assert.equal(
    run.stderr,
    "nitroctl: no such service 'cron': no process to signal\n",
  );
});

Deno.test("--json: partial lists carry each service not served, with its error, exit 111", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const nosuch = {
    ok: false,
    error: {
      code: "no-such-service",
      message: "no such service",
      service: "nosuch",
    },
  };
  const [list, st, pidof, start] = await Promise.all([
    nitroctl(daemon.path, ["--json", "list", "nosuch", "db"]),
    nitroctl(daemon.path, ["--json", "status", "db", "nosuch"]),
    nitroctl(daemon.path, ["--json", "pidof", "db", "nosuch", "cron"]),
    nitroctl(daemon.path, ["--json", "start", "nosuch", "db"]),
  ]);
  for (const run of [list, st, pidof, start]) {
    assert.equal(run.code, 111);
    assert.equal(run.stderr, "nitroctl: no such service 'nosuch'\n");
  }
  assert.deepEqual(document(list), [TABLE[1], { name: "nosuch", ...nosuch }]);
  const details = document(st) as { name: string }[];
  assert.deepEqual(details.map((d) => d.name), ["db", "nosuch"]);
  assert.deepEqual(details[1], { name: "nosuch", ...nosuch });
  assert.deepEqual(document(pidof), { db: 10, cron: null, nosuch });
  assert.deepEqual(document(start), [
    { name: "db", state: "UP", ok: true },
    { name: "nosuch", ...nosuch },
  ]);
});

Deno.test("--json: nitroctl(1) documents every error code with its exit status", async () => {
  const text = await Deno.readTextFile(
    new URL("../../docs/nitroctl.1.md", import.meta.url),
  );
  for (const code of CTL_ERROR_CODES) {
    assert.match(
      text,
      new RegExp(`^\\| \`${code}\` +\\| (1|2|3|111) +\\|`, "m"),
      code,
    );
  }
});

Deno.test("--json against a real nitro: FATAL with its reason, unknown and bad names", async () => {
  const n = await Nitro.create({
    noexec: { run: "echo never\n", down: "" }, // not executable
    fine: { run: "#!/bin/sh\nexec sleep 1000\n", down: "" },
  });
  try {
    await n.start();
    const start = await n.ctl([
      "--json",
      "-t",
      "20",
      "start",
      "fine",
      "noexec",
      "nosuch",
    ]);
    assert.equal(start.code, 111); // an unknown SERVICE outranks FATAL
    assert.deepEqual(document(start), [
      { name: "fine", state: "UP", ok: true },
      {
        name: "noexec",
        state: "FATAL",
        ok: false,
        error: {
          code: "fatal",
          message: "run is not executable",
          service: "noexec",
        },
      },
      {
        name: "nosuch",
        ok: false,
        error: {
          code: "no-such-service",
          message: "no such service",
          service: "nosuch",
        },
      },
    ]);
    const pidof = await n.ctl(["--json", "pidof", "noexec", ".bad"]);
    assert.equal(pidof.code, 111);
    const pids = document(pidof) as Record<string, unknown>;
    assert.equal(pids.noexec, null);
    assert.deepEqual(
      (pids[".bad"] as { error: { code: string } }).error.code,
      "bad-name",
    );
  } finally {
    await n.stop();
  }
});
