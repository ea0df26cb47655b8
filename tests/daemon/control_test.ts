/**
 * The control server (src/daemon/control.ts) on a real socket, in front of
 * a scripted supervisor: daemon bugs answered `internal` and logged,
 * backpressure and the byte bound on queued output, silent connections
 * closed, the longest idle giving way, `busy` refusals, the separate limit
 * of `events` followers; per connection, the bound on requests in flight
 * and on the memory of parked waits, waiting connections giving way, and
 * one client's pipelined requests never holding up another's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ControlContext,
  type ControlSupervisor,
  serveControl,
} from "../../src/daemon/control.ts";
import { DirectoryIndex } from "../../src/daemon/dir_index.ts";
import type { ServiceEvent, State } from "../../src/protocol.ts";
import { WAIT_BYTES } from "../../src/daemon/control/requests.ts";
import { connect, LineReader, writeAll } from "../helpers/daemon.ts";
import { eventually } from "../helpers/nitro.ts";

/** A supervisor of `count` UP services, `svc0`…, scripted by the test. */
class FakeSupervisor implements ControlSupervisor {
  readonly dir = "/nonexistent";
  readonly history = { toArray: (): ServiceEvent[] => [] };
  readonly reaps = 0;
  readonly svReaps = 0;
  readonly bootTime = 0;
  readonly stopping = false;
  directories: { resolve(path: string): Promise<string[]> } =
    new DirectoryIndex();
  readonly listeners = new Set<(e: ServiceEvent) => void>();
  /** States other than UP. */
  readonly states = new Map<string, State>();
  namesCalls = 0;
  rescans = 0;
  /** Called at each rescan. */
  onRescan = () => {};
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
      state: this.states.get(name) ?? "UP",
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
  rescan() {
    this.rescans++;
    this.onRescan();
  }
  subscribe(listener: (e: ServiceEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ServiceEvent) {
    for (const l of this.listeners) l(event);
  }
  /** `name` goes to `state`, and says so. */
  enter(name: string, state: State) {
    this.states.set(name, state);
    this.emit({ name, state, pid: null, time: 0 });
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

/** A line asking to wait until `service` is DOWN (the fake keeps it UP). */
function waitLine(id: number | string, service: string): string {
  return JSON.stringify({ id, op: "wait", services: [service], wait: "down" }) +
    "\n";
}

Deno.test("all clients waiting: a new one is served, the one waiting longest is told `busy`", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { clients: 3 });
  try {
    const waiting = [];
    for (let i = 0; i < 3; i++) {
      const c = await s.open();
      await writeAll(c, waitLine(i, "svc0"));
      await eventually(() => sup.listeners.size === i + 1, 5000, "waits");
      waiting.push(c);
    }
    const fresh = await s.open();
    await writeAll(fresh, '{"id":"f","op":"list"}\n');
    assert.equal((await new LineReader(fresh).next())?.id, "f");
    assert.deepEqual(await drain(waiting[0]), [{
      ok: false,
      error: {
        code: "busy",
        message: "too many clients: closed to make room for a new one",
      },
    }]);
    assert.equal(sup.listeners.size, 2, "its wait is gone");
  } finally {
    await s.close();
  }
});

Deno.test("when full, an idle client gives way before a waiting one", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup, { clients: 2 });
  try {
    const waiting = await s.open();
    await writeAll(waiting, waitLine(1, "svc0"));
    await eventually(() => sup.listeners.size === 1, 5000, "the wait");
    const idle = await s.open();
    await writeAll(idle, '{"id":"i","op":"list"}\n');
    assert.equal((await new LineReader(idle).next())?.id, "i");
    const fresh = await s.open();
    await writeAll(fresh, '{"id":"f","op":"list"}\n');
    assert.equal((await new LineReader(fresh).next())?.id, "f");
    const gone = await drain(idle);
    assert.equal((gone[0].error as { code: string }).code, "busy");
    sup.enter("svc0", "DOWN");
    assert.equal((await new LineReader(waiting).next())?.id, 1);
  } finally {
    await s.close();
  }
});

Deno.test("all clients busy with requests: a new one is refused with `busy`, then served once one ends", async () => {
  const sup = new FakeSupervisor(1);
  // Paths that never resolve: the requests stay in progress.
  const stuck = Promise.withResolvers<string[]>();
  sup.directories = { resolve: () => stuck.promise };
  const s = await server(sup, { clients: 3 });
  try {
    const busy = [];
    for (let i = 0; i < 3; i++) {
      const c = await s.open();
      await writeAll(c, '{"op":"pidof","services":["/srv/x"]}\n');
      busy.push(c);
    }
    // The refusal may come before the last request is read: try until
    // every connection is seen busy.
    let refused: Record<string, unknown>[] = [];
    await eventually(
      async () => {
        refused = await drain(await s.open());
        return (refused[0]?.error as { code?: string })?.code === "busy";
      },
      5000,
      "a refusal",
    );
    assert.deepEqual(refused, [{
      ok: false,
      error: {
        code: "busy",
        message: "too many clients: 3 connections are busy",
      },
    }]);
    // Their requests end: the connections are idle, and give way.
    stuck.resolve([]);
    await eventually(
      async () => {
        const conn = await s.open();
        await writeAll(conn, '{"id":1,"op":"list"}\n');
        return (await new LineReader(conn).next())?.ok === true;
      },
      5000,
      "a client served",
    );
  } finally {
    stuck.resolve([]);
    await s.close();
  }
});

/**
 * Pipeline `count` waits on one connection (wait i on svc<i>), then a
 * list; end them one by one and check the answers come in order, never
 * more than `most` waits held at once: the list is read, and answered,
 * only once fewer are.
 */
async function pipelinedWaits(
  limits: Parameters<typeof server>[1],
  count: number,
  most: number,
) {
  const sup = new FakeSupervisor(count);
  const s = await server(sup, limits);
  try {
    const conn = await s.open();
    let lines = "";
    for (let i = 0; i < count; i++) lines += waitLine(i, `svc${i}`);
    await writeAll(conn, lines + '{"id":"l","op":"list"}\n');
    await eventually(() => sup.listeners.size === most, 5000, `${most} waits`);
    const reader = new LineReader(conn);
    for (let i = 0; i < count; i++) {
      assert.ok(sup.listeners.size <= most, `${sup.listeners.size} waits`);
      sup.enter(`svc${i}`, "DOWN");
      const answer = await reader.next();
      assert.equal(answer?.id, i, JSON.stringify(answer));
      if (i === count - most) assert.equal((await reader.next())?.id, "l");
    }
  } finally {
    await s.close();
  }
}

Deno.test("one client pipelining waits: no more than `inFlight` are read at once", async () => {
  await pipelinedWaits({ inFlight: 8 }, 100, 8);
});

Deno.test("one client pipelining waits: they count against its memory budget", async () => {
  const pauseBytes = 10_000;
  const line = waitLine(0, "svc0").length - 1;
  // Reading stops once the parked waits hold the budget.
  const most = Math.ceil(pauseBytes / (WAIT_BYTES + 2 * line));
  assert.ok(most > 1 && most < 8);
  await pipelinedWaits({ inFlight: 1000, pauseBytes }, 40, most);
});

Deno.test("200 pipelined slow requests do not hold up another client's list", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup);
  try {
    const flood = await s.open();
    const other = await s.open();
    let answered: Promise<Record<string, unknown> | null> | null = null;
    let slow = 0;
    sup.onRescan = () => {
      slow++;
      const until = performance.now() + 2;
      while (performance.now() < until) { /* busy */ }
      if (slow === 1) {
        answered = writeAll(other, '{"id":"l","op":"list"}\n')
          .then(() => new LineReader(other).next());
      }
    };
    // Each `status` of a service path rescans here (the directory index is
    // the fake's): 200 requests that take a while each.
    sup.directories = {
      resolve: () => {
        sup.rescan();
        return Promise.resolve(["svc0"]);
      },
    };
    const line = '{"op":"status","services":["/srv/svc0"]}\n';
    await writeAll(flood, line.repeat(200));
    await eventually(() => answered !== null, 5000, "the first request");
    const list = await answered!;
    assert.equal(list?.id, "l");
    assert.ok(slow < 200, `the list waited for ${slow} requests`);
    const replies = new LineReader(flood);
    for (let i = 0; i < 200; i++) {
      assert.equal((await replies.next())?.ok, true);
    }
  } finally {
    await s.close();
  }
});

Deno.test("200 pipelined rescans: every one answered, far fewer carried out", async () => {
  const sup = new FakeSupervisor(1);
  const s = await server(sup);
  try {
    const conn = await s.open();
    await writeAll(conn, '{"op":"rescan"}\n'.repeat(200));
    const replies = new LineReader(conn);
    for (let i = 0; i < 200; i++) {
      assert.equal((await replies.next())?.ok, true);
    }
    // Each rescan began after the lines before it were read.
    assert.ok(sup.rescans < 10, `${sup.rescans} rescans`);
    await writeAll(conn, '{"op":"rescan"}\n');
    assert.equal((await replies.next())?.ok, true);
    assert.ok(sup.rescans >= 2, "a rescan sent later is carried out");
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
