/**
 * The control server (src/daemon/control.ts) on a real socket, in front of
 * a scripted supervisor: daemon bugs answered `internal` and logged,
 * backpressure and the byte bound on queued output, silent connections
 * closed, the longest idle giving way, `busy` refusals, the separate limit
 * of `events` followers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ControlContext,
  type ControlSupervisor,
  serveControl,
} from "../src/daemon/control.ts";
import { DirectoryIndex } from "../src/daemon/dir_index.ts";
import type { ServiceEvent } from "../src/protocol.ts";
import { connect, LineReader, writeAll } from "./helpers/daemon.ts";
import { eventually } from "./helpers/nitro.ts";

/** A supervisor of `count` UP services, `svc0`…, scripted by the test. */
class FakeSupervisor implements ControlSupervisor {
  readonly dir = "/nonexistent";
  readonly history = { toArray: (): ServiceEvent[] => [] };
  readonly reaps = 0;
  readonly svReaps = 0;
  readonly bootTime = 0;
  readonly stopping = false;
  readonly directories = new DirectoryIndex();
  readonly listeners = new Set<(e: ServiceEvent) => void>();
  namesCalls = 0;
  broken = false;
  #names: string[];

  constructor(count: number) {
    this.#names = Array.from({ length: count }, (_, i) => `svc${i}`);
  }
  now() {
    return 1000;
  }
  names() {
    this.namesCalls++;
    if (this.broken) throw new TypeError("a bug");
    return this.#names;
  }
  has(name: string) {
    return this.#names.includes(name);
  }
  isSystem(name: string) {
    return name === "SYS";
  }
  status(name: string) {
    if (!this.has(name)) return null;
    return {
      state: "UP" as const,
      pid: 100,
      wstatus: 0,
      since: 0,
      wantUp: true,
    };
  }
  detail() {
    return null;
  }
  ensureInstance() {
    return false;
  }
  request() {}
  signal() {
    return true;
  }
  rescan() {}
  subscribe(listener: (e: ServiceEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ServiceEvent) {
    for (const l of this.listeners) l(event);
  }
}

/** A control server on a temp socket; `close()` ends it. */
async function server(
  sup: FakeSupervisor,
  limits: ControlContext["limits"] = {},
  logged: string[] = [],
) {
  const dir = await Deno.makeTempDir({ prefix: "nitro-control-" });
  const sock = join(dir, "s.sock");
  const listener = Deno.listen({ transport: "unix", path: sock });
  const served = serveControl(listener, {
    supervisor: sup,
    end: () => {},
    pid1: false,
    console: { say: (line) => void logged.push(line) },
    openFds: () => Promise.resolve(-1),
    limits,
  });
  const conns: Deno.Conn[] = [];
  return {
    sock,
    async open(): Promise<Deno.Conn> {
      const c = await connect(sock);
      conns.push(c);
      return c;
    },
    async close() {
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Closed by the server.
        }
      }
      listener.close();
      await served;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Read lines until the server closes the connection. */
async function drain(
  conn: Deno.Conn,
  ms = 10_000,
): Promise<Record<string, unknown>[]> {
  const reader = new LineReader(conn);
  const lines = [];
  let line;
  while ((line = await reader.next(ms)) !== null) lines.push(line);
  return lines;
}

Deno.test("a daemon bug is answered `internal` and logged; the connection goes on", async () => {
  const sup = new FakeSupervisor(2);
  const logged: string[] = [];
  const s = await server(sup, {}, logged);
  try {
    const conn = await s.open();
    const reader = new LineReader(conn);
    sup.broken = true;
    await writeAll(conn, '{"id":1,"op":"list"}\n');
    const answer = await reader.next();
    assert.equal(answer?.id, 1);
    assert.deepEqual(answer?.error, {
      code: "internal",
      message: "internal error in nitro (details in its log)",
    });
    assert.equal(logged.length, 1);
    assert.match(
      logged[0],
      /^- nitro: internal error while answering "list": TypeError: a bug/,
    );
    sup.broken = false;
    await writeAll(conn, '{"id":2,"op":"list"}\n');
    assert.equal((await reader.next())?.ok, true);
  } finally {
    await s.close();
  }
});

Deno.test("a client that never reads: requests are no longer read, then it is dropped", async () => {
  const sup = new FakeSupervisor(200); // a list answer is about 14 kB
  const s = await server(sup, { pauseBytes: 64 << 10, stallMs: 500 });
  try {
    const conn = await s.open();
    await writeAll(conn, '{"op":"list"}\n'.repeat(2000));
    // Answers pile up in the socket, then in the queue; reading stops.
    await eventually(() => sup.namesCalls > 0, 5000, "first answers");
    const fresh = await s.open();
    await writeAll(fresh, '{"id":"x","op":"info"}\n');
    assert.equal((await new LineReader(fresh).next())?.id, "x");
    // Dropped: a write finds the other end closed (blank lines are ignored).
    await eventually(
      () => conn.write(Uint8Array.of(10)).then(() => false, () => true),
      10_000,
      "the client to be dropped",
    );
    const lines = await drain(conn);
    assert.ok(lines.length < 2000, `${lines.length} answers`);
    assert.ok(sup.namesCalls < 2000, `${sup.namesCalls} requests read`);
    assert.ok(lines.every((l) => l.ok === true));
  } finally {
    await s.close();
  }
});

Deno.test("events: a follower over the byte bound is dropped, one that reads is not", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { queueBytes: 32 << 10 });
  try {
    const slow = await s.open();
    const fast = await s.open();
    await writeAll(slow, '{"op":"events"}\n');
    await writeAll(fast, '{"op":"events"}\n');
    await eventually(() => sup.listeners.size === 2, 5000, "followers");
    const fastLines = new LineReader(fast);
    let received = 0;
    for (let batch = 0; batch < 50; batch++) {
      for (let i = 0; i < 100; i++) {
        sup.emit({ name: "svc0", state: "UP", pid: i, time: batch });
      }
      // The fast follower reads along.
      while (received < (batch + 1) * 100) {
        const line = await fastLines.next();
        assert.ok(line?.event, JSON.stringify(line));
        received++;
      }
    }
    assert.equal(received, 5000);
    assert.equal(sup.listeners.size, 1, "the slow follower was dropped");
    const slowLines = await drain(slow);
    assert.ok(slowLines.length < 5000, `${slowLines.length}`);
  } finally {
    await s.close();
  }
});

Deno.test("silent connections are closed; when full, the longest idle gives way", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { clients: 3, firstRequestMs: 1000 });
  try {
    const silent = [await s.open(), await s.open(), await s.open()];
    // Full of silent ones: a fresh client is served, the oldest goes.
    const fresh = await s.open();
    await writeAll(fresh, '{"id":"f","op":"list"}\n');
    assert.equal((await new LineReader(fresh).next())?.id, "f");
    const gone = await drain(silent[0]);
    assert.equal(gone.length, 1);
    assert.equal((gone[0].error as { code: string }).code, "busy");
    assert.match(
      (gone[0].error as { message: string }).message,
      /too many clients/,
    );
    // The other silent ones are closed after a while, without a word.
    assert.deepEqual(await drain(silent[1]), []);
    assert.deepEqual(await drain(silent[2]), []);
  } finally {
    await s.close();
  }
});

Deno.test("all clients busy: a new one is refused with `busy`, then served once one ends", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { clients: 3 });
  try {
    // Waits for a state the fake never reaches: always in flight.
    const busy = [];
    for (let i = 0; i < 3; i++) {
      const c = await s.open();
      await writeAll(
        c,
        '{"op":"wait","services":["svc0"],"wait":"down"}\n',
      );
      busy.push(c);
    }
    await eventually(() => sup.listeners.size === 3, 5000, "waits");
    const refused = await drain(await s.open());
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0].error, {
      code: "busy",
      message: "too many clients: 3 connections are busy",
    });
    busy[0].close();
    await eventually(() => sup.listeners.size === 2, 5000, "a wait to end");
    const conn = await s.open();
    await writeAll(conn, '{"id":1,"op":"list"}\n');
    assert.equal((await new LineReader(conn).next())?.ok, true);
  } finally {
    await s.close();
  }
});

Deno.test("events followers have their own limit", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { clients: 2, subscribers: 2 });
  try {
    const followers = [];
    for (let i = 0; i < 2; i++) {
      const c = await s.open();
      await writeAll(c, '{"op":"events"}\n');
      followers.push(c);
    }
    await eventually(() => sup.listeners.size === 2, 5000, "followers");
    // Followers take no client slot: two clients still fit.
    const extra = await s.open();
    await writeAll(extra, '{"id":"e","op":"events"}\n');
    const reader = new LineReader(extra);
    const answer = await reader.next();
    assert.equal(answer?.id, "e");
    assert.equal((answer?.error as { code: string }).code, "busy");
    await writeAll(extra, '{"id":"l","op":"list"}\n');
    assert.equal((await reader.next())?.id, "l");
    const other = await s.open();
    await writeAll(other, '{"id":"o","op":"list"}\n');
    assert.equal((await new LineReader(other).next())?.id, "o");
    assert.equal(sup.listeners.size, 2);
  } finally {
    await s.close();
  }
});
