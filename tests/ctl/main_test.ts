/**
 * nitroctl's `main` in process, against a fake nitro: what it prints and
 * the status it returns for help, usage errors, a command that works, one
 * nitro refuses, -t running out, and no nitro at all. (The real binary is
 * run by tests/ctl/nitroctl_test.ts; here the same paths without a child
 * process.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { main } from "../../src/ctl/main.ts";
import type { Output } from "../../src/ctl/output.ts";
import { basicHandler, FakeDaemon, status } from "../helpers/fake_daemon.ts";

/** An Output that keeps the lines. */
function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
  };
}

/** Run `body` with $NITRO_SOCK set to `sock`, restoring it after. */
async function withSock<T>(sock: string, body: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("NITRO_SOCK");
  Deno.env.set("NITRO_SOCK", sock);
  try {
    return await body();
  } finally {
    if (before === undefined) Deno.env.delete("NITRO_SOCK");
    else Deno.env.set("NITRO_SOCK", before);
  }
}

const TABLE = [status("db", "UP", 10, 0, 5), status("web", "DOWN", null)];

Deno.test("main: -h prints the usage on stdout and returns 0", async () => {
  const io = capture();
  assert.equal(await main(["-h"], io), 0);
  assert.match(io.stdout.join("\n"), /^usage: nitroctl /);
  assert.deepEqual(io.stderr, []);
});

Deno.test("main: a usage error is one line, never the whole usage, returns 2", async () => {
  const io = capture();
  assert.equal(await main(["frob"], io), 2);
  assert.deepEqual(io.stdout, []);
  assert.deepEqual(io.stderr, [
    "usage: nitroctl COMMAND [SERVICE ...] (unknown command: frob; see nitroctl --help)",
  ]);
});

Deno.test("main: pidof prints the pid and returns 0; a DOWN service returns 1", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  await withSock(daemon.path, async () => {
    const up = capture();
    assert.equal(await main(["pidof", "db"], up), 0);
    assert.deepEqual(up.stdout, ["10"]);
    const down = capture();
    assert.equal(await main(["pidof", "web"], down), 1);
    assert.deepEqual(down.stdout, []);
  });
  assert.deepEqual(daemon.ops("pidof").length, 2);
});

Deno.test("main: nitro's refusal is one line, status 111", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const io = capture();
  await withSock(daemon.path, async () => {
    assert.equal(await main(["up", "ghost"], io), 111);
  });
  assert.deepEqual(io.stderr, ["nitroctl: no such service 'ghost'"]);
});

Deno.test("main: -t ends a request nitro does not answer, status 3", async () => {
  const never = Promise.withResolvers<void>();
  await using daemon = await FakeDaemon.start(async (_request, reply) => {
    await never.promise;
    await reply.ok({ results: [] });
  });
  const io = capture();
  try {
    await withSock(daemon.path, async () => {
      assert.equal(await main(["-t", "0.05", "start", "web"], io), 3);
    });
  } finally {
    never.resolve();
  }
  assert.deepEqual(io.stderr, ["nitroctl: action timed out"]);
});

Deno.test("main: no nitro on the socket is one line, status 111", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const io = capture();
    await withSock(`${dir}/none.sock`, async () => {
      assert.equal(await main(["list"], io), 111);
    });
    assert.equal(io.stderr.length, 1);
    assert.match(io.stderr[0], /^nitroctl: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
