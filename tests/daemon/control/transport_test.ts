/**
 * The control plane's line transport on its own, over a real Unix socket
 * with a handler that echoes: lines are served whole and in order however
 * the bytes arrive (split or joined), a full table turns a newcomer away
 * with `busy` or makes an idle client give way, and closing the listener
 * ends serving.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Channel,
  type ReceivedLine,
  serveLines,
  type TransportLimits,
} from "../../../src/daemon/control/transport.ts";
import type { ServerLine } from "../../../src/protocol.ts";
import { connect, LineReader, writeAll } from "../../helpers/daemon.ts";

const LIMITS: TransportLimits = {
  clients: 2,
  subscribers: 1,
  firstRequestMs: 60_000,
  idleMs: 60_000,
  queueBytes: 1 << 20,
  pauseBytes: 1 << 16,
  inFlight: 8,
  stallMs: 60_000,
};

/** Serve on a fresh socket; every line is answered `{ echo: text }`. */
async function serving(
  limits: TransportLimits = LIMITS,
  hold?: Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "nitro-transport-" });
  const path = join(dir, "sock");
  const listener = Deno.listen({ transport: "unix", path });
  const seen: string[] = [];
  const reports: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  /** Resolves once `count` lines have reached the handler. */
  const served = (count: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    if (seen.length >= count) resolve();
    else waiters.push({ count, resolve });
    return promise;
  };
  const handler = {
    async serve(channel: Channel, line: ReceivedLine) {
      seen.push(line.text);
      for (const w of waiters) if (seen.length >= w.count) w.resolve();
      const ticket = channel.begin();
      if (hold !== undefined && line.text === "hold") await hold;
      channel.send({ echo: line.text } as unknown as ServerLine);
      ticket.end();
    },
  };
  const loop = serveLines(listener, {
    handler,
    limits,
    report: (during, err) => reports.push(`${during}: ${err}`),
  });
  return {
    path,
    seen,
    served,
    reports,
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("serveLines: lines split over writes or joined in one are served whole, in order", async () => {
  await using server = await serving();
  const conn = await connect(server.path);
  try {
    const reader = new LineReader(conn);
    await writeAll(conn, "fi");
    await writeAll(conn, "rst\nsec");
    await writeAll(conn, "ond\nthird\nfourth\n");
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await reader.next());
    assert.deepEqual(answers, [
      { echo: "first" },
      { echo: "second" },
      { echo: "third" },
      { echo: "fourth" },
    ]);
    assert.deepEqual(server.seen, ["first", "second", "third", "fourth"]);
  } finally {
    conn.close();
  }
  assert.deepEqual(server.reports, []);
});

Deno.test("serveLines: a full table of busy clients turns a newcomer away with busy", async () => {
  const hold = Promise.withResolvers<void>();
  await using server = await serving(LIMITS, hold.promise);
  const busy = [await connect(server.path), await connect(server.path)];
  try {
    // Both slots hold a request in flight: neither may give way.
    for (const conn of busy) await writeAll(conn, "hold\n");
    await server.served(2);
    const late = await connect(server.path);
    try {
      const answer = await new LineReader(late).next();
      assert.equal(answer?.ok, false);
      assert.deepEqual((answer?.error as { code: string }).code, "busy");
      assert.match(
        (answer?.error as { message: string }).message,
        /^too many clients: 2 connections are busy$/,
      );
      assert.equal(await new LineReader(late).next(), null, "then closed");
    } finally {
      late.close();
    }
    hold.resolve();
    for (const conn of busy) {
      assert.deepEqual(await new LineReader(conn).next(), { echo: "hold" });
    }
  } finally {
    hold.resolve();
    for (const conn of busy) conn.close();
  }
});

Deno.test("serveLines: an idle client gives way to a newcomer, told why", async () => {
  await using server = await serving();
  const first = await connect(server.path);
  const second = await connect(server.path);
  const third = await connect(server.path);
  try {
    // first and second sent nothing: the one idle longest (first) goes.
    const told = await new LineReader(first).next();
    assert.equal((told?.error as { code: string }).code, "busy");
    assert.match(
      (told?.error as { message: string }).message,
      /closed to make room/,
    );
    // The newcomer is served.
    const reader = new LineReader(third);
    await writeAll(third, "hello\n");
    assert.deepEqual(await reader.next(), { echo: "hello" });
  } finally {
    for (const conn of [first, second, third]) conn.close();
  }
});
