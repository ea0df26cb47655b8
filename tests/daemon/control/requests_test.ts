/**
 * Requests, the meaning of each control request, in process: a real
 * supervisor on a fake host (virtual clock) and a channel that keeps what
 * is sent. Partial failures and their order, SYS refused only for
 * changes, instances made only by up and restart, waits parked and given
 * up on close, a pure wait through FATAL, rescans pipelined, `events`
 * replay and refusal, a channel that throws while a wait streams, ids
 * echoed. Also tested: tests/daemon/control_test.ts (on a real socket:
 * bugs answered `internal`, limits, busy), tests/daemon/control/
 * transport_test.ts (lines and connections), tests/e2e/control_ops_test.ts
 * and tests/e2e/control_limits_test.ts (against a real nitro).
 *
 * @module
 */

import assert from "node:assert/strict";
import { UP_AFTER_MS } from "../../../src/core/service.ts";
import type { Channel } from "../../../src/daemon/control/transport.ts";
import { Requests, WAIT_BYTES } from "../../../src/daemon/control/requests.ts";
import { SystemShell } from "../../../src/daemon/system_shell.ts";
import type { EndMode } from "../../../src/core/system.ts";
import type { ServerLine } from "../../../src/protocol.ts";
import { FakeHost, ROOT } from "../../helpers/fake_host.ts";

/** A connection as the transport gives it, keeping what it is told. */
class FakeChannel implements Channel {
  readonly sent: ServerLine[] = [];
  readonly parked: number[] = [];
  begun = 0;
  ended = 0;
  followers = 0;
  maxFollowers = 8;
  /** Make sending an event line throw (a socket that broke). */
  eventsThrow = false;
  readonly #closers = new Set<() => void>();

  send(line: ServerLine): void {
    if (this.eventsThrow && "event" in line) throw new Error("socket broke");
    this.sent.push(line);
  }
  begin() {
    this.begun++;
    return {
      park: (bytes: number) => void this.parked.push(bytes),
      end: () => void this.ended++,
    };
  }
  onClose(cleanup: () => void): () => void {
    this.#closers.add(cleanup);
    return () => this.#closers.delete(cleanup);
  }
  follow(): boolean {
    if (this.followers >= this.maxFollowers) return false;
    this.followers++;
    return true;
  }
  /** The client hangs up. */
  close(): void {
    for (const cleanup of [...this.#closers]) cleanup();
    this.#closers.clear();
  }
  /** What was sent since the last take. */
  take(): Record<string, unknown>[] {
    return this.sent.splice(0) as unknown as Record<string, unknown>[];
  }
  /** How many cleanups wait for the close. */
  get closers(): number {
    return this.#closers.size;
  }
}

/** A booted nitro on a fake host, and Requests in front of it. */
function nitro(setup: (host: FakeHost) => void = () => {}) {
  const host = new FakeHost();
  host.tree.add("web");
  host.tree.add("db");
  host.tree.add("t@");
  setup(host);
  const shell = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: "process",
  });
  void shell.run();
  const sup = shell.supervisor;
  const ends: EndMode[] = [];
  const reports: string[] = [];
  const requests = new Requests({
    supervisor: sup,
    end: (mode) => void ends.push(mode),
    pid1: false,
    subscribers: 8,
    report: (during) => void reports.push(during),
    openFds: () => Promise.resolve(17),
  });
  const channel = new FakeChannel();
  /** Serve one request line (an object is sent as JSON). */
  const ask = async (
    request: unknown,
    opts: { receivedAt?: number; on?: FakeChannel } = {},
  ) => {
    const text = typeof request === "string"
      ? request
      : JSON.stringify(request);
    const on = opts.on ?? channel;
    await requests.serve(on, {
      text,
      lossy: false,
      receivedAt: opts.receivedAt ?? 0,
    });
    return on.take();
  };
  return { host, shell, sup, ends, reports, channel, ask };
}

Deno.test("arguments that fail come first, in order, after those refused as names", async () => {
  const n = nitro();
  const [answer] = await n.ask({
    id: 7,
    op: "pidof",
    services: ["ghost", "web", "a\x1b", "db"],
  });
  const pid = (script: string) => n.host.processes.of(script).pid;
  // In the order asked, not the order they started.
  assert.deepEqual(Object.entries(answer.pids as object), [
    ["web", pid("web/run")],
    ["db", pid("db/run")],
  ]);
  assert.deepEqual(
    (answer.errors as { service: string; code: string }[]).map((e) => [
      e.service,
      e.code,
    ]),
    [["a\x1b", "bad-name"], ["ghost", "no-such-service"]],
  );
  assert.equal(answer.id, 7);
});

Deno.test("when no argument resolves, the first failure is the answer, naming it", async () => {
  const n = nitro();
  const [answer] = await n.ask({
    op: "up",
    services: ["ghost", "phantom"],
  });
  assert.deepEqual(answer, {
    ok: false,
    error: {
      code: "no-such-service",
      message: "no such service",
      service: "ghost",
    },
  });
  // No id asked: none echoed.
  assert.ok(!("id" in answer));
  assert.deepEqual([n.channel.begun, n.channel.ended], [1, 1]);
});

Deno.test("SYS may be looked at and waited for, never changed", async () => {
  const n = nitro((h) => h.tree.sys = { setup: true });
  const [up] = await n.ask({ op: "down", services: ["SYS"] });
  assert.deepEqual(up.error, {
    code: "bad-name",
    message: "nitro itself runs SYS; it takes no requests",
    service: "SYS",
  });
  const [ready] = await n.ask({ op: "ready", services: ["SYS"] });
  assert.equal((ready.error as { code: string }).code, "bad-name");
  const [pidof] = await n.ask({ op: "pidof", services: ["SYS"] });
  assert.deepEqual(pidof.pids, { SYS: n.host.processes.of("SYS/setup").pid });
  // A signal is no change of what it should be: it is delivered.
  const [signal] = await n.ask({
    op: "signal",
    services: ["SYS"],
    signal: "SIGCONT",
  });
  assert.deepEqual(signal.results, [{ name: "SYS", state: "SETUP", ok: true }]);
});

Deno.test("up and restart make an instance of a template; down, wait and pidof do not", async () => {
  const n = nitro();
  for (const op of ["down", "pidof"]) {
    const [answer] = await n.ask({ op, services: ["t@a"] });
    assert.equal((answer.error as { code: string }).code, "no-such-service");
  }
  const [waited] = await n.ask({ op: "wait", services: ["t@a"], wait: "up" });
  assert.equal((waited.error as { code: string }).code, "no-such-service");
  assert.equal(n.sup.has("t@a"), false);
  const [up] = await n.ask({ op: "up", services: ["t@a"] });
  assert.deepEqual(up.results, [{ name: "t@a", state: "STARTING", ok: true }]);
  const [restart] = await n.ask({ op: "restart", services: ["t@b"] });
  assert.equal((restart.results as { ok: boolean }[])[0].ok, true);
  assert.deepEqual(n.sup.names().filter((s) => s.startsWith("t@")), [
    "t@a",
    "t@b",
  ]);
});

Deno.test("once the end began, up and restart are refused; down is still answered", async () => {
  const n = nitro();
  n.shell.end("shutdown");
  for (const op of ["up", "restart"]) {
    const [answer] = await n.ask({ id: op, op, services: ["web"] });
    assert.deepEqual(answer, {
      id: op,
      ok: false,
      error: { code: "shutting-down", message: "nitro is shutting down" },
    });
  }
  const [down] = await n.ask({ op: "down", services: ["web"] });
  assert.equal(down.ok, true);
});

Deno.test("start parks until UP on the clock, then answers once and ends its ticket", async () => {
  const n = nitro();
  const text = JSON.stringify({
    id: 1,
    op: "restart",
    services: ["web"],
    wait: "up",
  });
  assert.deepEqual(await n.ask(text), []);
  assert.deepEqual(n.channel.parked, [WAIT_BYTES + 2 * text.length]);
  assert.equal(n.channel.ended, 0);
  n.host.clock.advance(0); // the old run dies of its SIGTERM; a new one starts
  n.host.clock.advance(UP_AFTER_MS - 1);
  assert.deepEqual(n.channel.take(), []);
  n.host.clock.advance(1);
  assert.deepEqual(n.channel.take(), [{
    id: 1,
    ok: true,
    results: [{ name: "web", state: "UP", ok: true }],
  }]);
  assert.equal(n.channel.ended, 1);
  assert.equal(n.channel.closers, 0); // its close cleanup was removed
});

Deno.test("a wait whose client hangs up stops listening and never answers", async () => {
  const n = nitro();
  let listening = 0;
  const subscribe = n.sup.subscribe.bind(n.sup);
  n.sup.subscribe = (listener) => {
    listening++;
    const stop = subscribe(listener);
    return () => {
      listening--;
      return stop();
    };
  };
  await n.ask({ op: "wait", services: ["web"], wait: "down" });
  assert.equal(listening, 1);
  n.channel.close();
  assert.equal(listening, 0);
  n.sup.request("web", { type: "down" });
  n.host.clock.advance(0);
  assert.equal(n.sup.status("web")?.state, "DOWN");
  assert.deepEqual(n.channel.take(), []);
});

Deno.test("a pure wait waits on through FATAL; one that asked for UP fails there", async () => {
  const n = nitro((h) => h.processes.refuse.set("db/run", "bad interpreter"));
  assert.equal(n.sup.status("db")?.state, "FATAL");
  assert.deepEqual(
    await n.ask({ op: "wait", services: ["db"], wait: "up" }),
    [],
  );
  const [start] = await n.ask({ op: "up", services: ["db"], wait: "up" });
  assert.deepEqual(start.results, [{ name: "db", state: "FATAL", ok: false }]);
  // The pure wait still waits: someone may start db again.
  assert.deepEqual(n.channel.parked.length, 1);
});

Deno.test("a verbose pure wait shows each service's state now, before any change", async () => {
  const n = nitro();
  n.host.clock.advance(500);
  const lines = await n.ask({
    id: "w",
    op: "wait",
    services: ["web", "db"],
    wait: "up",
    verbose: true,
  });
  assert.deepEqual(lines, [
    {
      id: "w",
      event: {
        name: "web",
        state: "STARTING",
        notice: "STARTING",
        pid: n.host.processes.of("web/run").pid,
        time: 500,
      },
    },
    {
      id: "w",
      event: {
        name: "db",
        state: "STARTING",
        notice: "STARTING",
        pid: n.host.processes.of("db/run").pid,
        time: 500,
      },
    },
  ]);
});

Deno.test("a channel that throws while a wait streams is reported; the supervisor goes on", async () => {
  const n = nitro();
  await n.ask({ op: "wait", services: ["web"], wait: "up", verbose: true });
  n.channel.eventsThrow = true;
  n.host.clock.advance(UP_AFTER_MS); // web goes UP: the event cannot be sent
  assert.deepEqual(n.reports, ["following a wait"]);
  assert.equal(n.sup.status("web")?.state, "UP");
  assert.equal(n.sup.status("db")?.state, "UP");
});

Deno.test("up -v streams the asked services' events before the answer, others' not", async () => {
  const n = nitro((h) => {
    h.tree.add("idle", { run: true, down: true, log: "idlelog" });
    h.tree.add("idlelog"); // starts when its writer does
  });
  const seen: string[] = [];
  n.sup.subscribe((e) => seen.push(e.name));
  const lines = await n.ask({
    op: "up",
    services: ["idle"],
    verbose: true,
    id: 3,
  });
  // Its logger changed too, in the same act, and was not streamed.
  assert.ok(seen.includes("idlelog"), seen.join(" "));
  const events = lines.slice(0, -1);
  assert.ok(events.length >= 1, JSON.stringify(lines));
  for (const l of events) {
    assert.deepEqual([(l.event as { name: string }).name, l.id], ["idle", 3]);
  }
  assert.deepEqual(lines.at(-1), {
    id: 3,
    ok: true,
    results: [{ name: "idle", state: "STARTING", ok: true }],
  });
});

Deno.test("a signal to a service without a process is not ok; its state is told", async () => {
  const n = nitro((h) => h.tree.add("idle", { run: true, down: true }));
  const [answer] = await n.ask({
    op: "signal",
    services: ["idle", "web"],
    signal: "SIGHUP",
  });
  assert.deepEqual(answer.results, [
    { name: "idle", state: "DOWN", ok: false },
    { name: "web", state: "STARTING", ok: true },
  ]);
});

Deno.test("rescans: one sent before the last rescan began costs nothing", async () => {
  const n = nitro();
  let rescans = 0;
  const rescan = n.sup.rescan.bind(n.sup);
  n.sup.rescan = () => {
    rescans++;
    rescan();
  };
  const t = performance.now();
  assert.deepEqual(await n.ask({ op: "rescan" }, { receivedAt: t }), [{
    ok: true,
  }]);
  assert.deepEqual(await n.ask({ op: "rescan" }, { receivedAt: t }), [{
    ok: true,
  }]);
  assert.equal(rescans, 1);
  await n.ask({ op: "rescan" }, { receivedAt: performance.now() + 1 });
  assert.equal(rescans, 2);
});

Deno.test("events: the history first with replay, then live; refused past the limit", async () => {
  const n = nitro();
  const lines = await n.ask({ id: "e", op: "events", replay: true });
  const replayed = n.sup.history.toArray();
  assert.ok(replayed.length > 0);
  assert.deepEqual(lines, replayed.map((event) => ({ id: "e", event })));
  n.host.clock.advance(UP_AFTER_MS);
  const live = n.channel.take();
  assert.deepEqual(
    live.map((l) => (l.event as { name: string; state: string }).state),
    ["UP", "UP"],
  );
  // Without replay, nothing until something happens.
  const quiet = new FakeChannel();
  assert.deepEqual(await n.ask({ op: "events" }, { on: quiet }), []);
  const full = new FakeChannel();
  full.maxFollowers = 0;
  assert.deepEqual(await n.ask({ op: "events" }, { on: full }), [{
    ok: false,
    error: {
      code: "busy",
      message: "too many clients: 8 are following events already",
    },
  }]);
  // A follower that hangs up is forgotten.
  n.channel.close();
  n.sup.request("web", { type: "down" });
  assert.deepEqual(n.channel.take(), []);
});

Deno.test("shutdown and reboot are answered before the end begins", async () => {
  for (const op of ["shutdown", "reboot"] as const) {
    const n = nitro();
    const order: string[] = [];
    const send = n.channel.send.bind(n.channel);
    n.channel.send = (line) => {
      order.push("answer");
      send(line);
    };
    const requests = new Requests({
      supervisor: n.sup,
      end: (mode) => void order.push(`end ${mode}`),
      pid1: true,
      subscribers: 1,
      report: () => {},
      openFds: () => Promise.resolve(-1),
    });
    await requests.serve(n.channel, {
      text: JSON.stringify({ op }),
      lossy: false,
      receivedAt: 0,
    });
    assert.deepEqual(order, ["answer", `end ${op}`]);
  }
});

Deno.test("info: the boot, uptime on the clock, the fds asked of the host", async () => {
  const n = nitro();
  n.host.clock.advance(1234.6);
  const [answer] = await n.ask({ op: "info" });
  const info = answer.info as Record<string, unknown>;
  assert.deepEqual(
    [info.boot, info.uptime, info.fds, info.services, info.dir, info.pid1],
    [0, 1235, 17, 2, ROOT, false], // a template is no service
  );
  assert.equal(info.pid, Deno.pid);
});

Deno.test("a line that is no request is answered without a ticket", async () => {
  const n = nitro();
  assert.deepEqual(await n.ask("[1]"), [{
    ok: false,
    error: { code: "bad-request", message: "request is not a JSON object" },
  }]);
  assert.deepEqual([n.channel.begun, n.channel.ended], [0, 0]);
});
