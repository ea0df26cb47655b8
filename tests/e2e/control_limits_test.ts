/**
 * A bounded control plane, with a real nitro: clients that never read
 * their answers are dropped while nitroctl keeps working, silent
 * connections, waiting ones and `events` followers cannot lock nitroctl
 * out, a client made to give way is told why (`busy`), and requests full
 * of service paths do not hold up supervision. (Memory and latency
 * figures: the benchmarks tests/bench/control_memory.ts and
 * tests/bench/control_flood.ts.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { eventually, Nitro, type ServiceFiles } from "../helpers/nitro.ts";
import {
  connect,
  EventLog,
  LineReader,
  request,
  sh,
  writeAll,
} from "../helpers/daemon.ts";

const SLEEP = sh("exec sleep 1000");

/** `count` services that stay DOWN (no processes): svc000, svc001, … */
function downServices(count: number): Record<string, ServiceFiles> {
  const services: Record<string, ServiceFiles> = {};
  for (let i = 0; i < count; i++) {
    services[`svc${String(i).padStart(3, "0")}`] = { run: SLEEP, down: "" };
  }
  return services;
}

/** Whether nitro closed `conn`: a write then fails (blank lines are ignored). */
function dropped(conn: Deno.Conn): Promise<boolean> {
  return conn.write(Uint8Array.of(10)).then(() => false, () => true);
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // Closed by nitro.
    }
  }
}

Deno.test("4 clients sending 2,000 lists each and never reading: nitroctl list answers throughout, they are dropped", async () => {
  const n = await Nitro.create(downServices(500));
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    const before = (await request(n.sock, { op: "info" })).info as {
      fds: number;
    };
    for (let i = 0; i < 4; i++) {
      const conn = await connect(n.sock);
      conns.push(conn);
      await writeAll(conn, '{"op":"list"}\n'.repeat(2000));
    }
    let lists = 0;
    const answering = async () => {
      const r = await n.ctl(["list"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 500);
      lists++;
    };
    await answering();
    await eventually(
      async () => {
        await answering();
        const gone = await Promise.all(conns.map(dropped));
        return gone.every((g) => g);
      },
      60_000,
      "the silent readers to be dropped",
    );
    assert.ok(lists >= 2);
    // What they got is a prefix of their answers, not 2,000 of them.
    const reader = new LineReader(conns[0]);
    let received = 0;
    while ((await reader.next()) !== null) received++;
    assert.ok(received < 2000, `${received} answers`);
    // Their connections are gone from nitro too.
    await eventually(
      async () => {
        const info = (await request(n.sock, { op: "info" })).info as {
          fds: number;
        };
        return info.fds <= before.fds + 2;
      },
      10_000,
      "nitro's fds back to where they were",
    );
    await answering();
  } finally {
    closeAll(conns);
    await n.stop();
  }
});

Deno.test("64 silent connections and 64 events followers do not lock nitroctl out", async () => {
  const n = await Nitro.create({ web: { run: SLEEP } });
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    for (let i = 0; i < 64; i++) conns.push(await connect(n.sock));
    const followers: Deno.Conn[] = [];
    for (let i = 0; i < 64; i++) {
      const c = await connect(n.sock);
      conns.push(c);
      followers.push(c);
      await writeAll(c, JSON.stringify({ id: i, op: "events" }) + "\n");
    }
    const r = await n.ctl(["list"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[A-Z]+ web /);
    // 32 follow and see the next event; the others were told why.
    const restart = await n.ctl(["restart", "web"]);
    assert.equal(restart.code, 0, restart.stderr);
    const firsts = await Promise.all(followers.map(async (c) => {
      const line = await new LineReader(c).next();
      if (line?.event) return (line.event as { name: string }).name;
      return (line?.error as { code?: string } | undefined)?.code;
    }));
    const count = (what: string) => firsts.filter((f) => f === what).length;
    assert.equal(count("web"), 32, firsts.join());
    assert.equal(count("busy"), 32, firsts.join());
    // And nitroctl still answers.
    assert.equal((await n.ctl(["list"])).code, 0);
  } finally {
    closeAll(conns);
    await n.stop();
  }
});

Deno.test("64 clients each holding a wait that cannot finish do not lock nitroctl out", async () => {
  const n = await Nitro.create({ idle: { run: SLEEP, down: "" } });
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    const waiting = [];
    for (let i = 0; i < 64; i++) {
      const c = await connect(n.sock);
      conns.push(c);
      // The answer to the list comes once the wait before it is set up.
      await writeAll(
        c,
        JSON.stringify({ id: i, op: "wait", services: ["idle"], wait: "up" }) +
          '\n{"id":"l","op":"list"}\n',
      );
      assert.equal((await new LineReader(c).next())?.id, "l");
      waiting.push(c);
    }
    // Full of waiting clients: nitroctl is served at once, and the client
    // waiting longest gives way, told why.
    const r = await n.ctl(["list"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DOWN idle /);
    const reader = new LineReader(waiting[0]);
    assert.deepEqual(await reader.next(), {
      ok: false,
      error: {
        code: "busy",
        message: "too many clients: closed to make room for a new one",
      },
    });
    assert.equal(await reader.next(), null);
    // The others still wait, and are answered when the service comes up.
    assert.equal((await n.ctl(["up", "idle"])).code, 0);
    const last = new LineReader(waiting[63]);
    const answer = await last.next();
    assert.equal(answer?.id, 63, JSON.stringify(answer));
    assert.equal(answer?.ok, true);
  } finally {
    closeAll(conns);
    await n.stop();
  }
});

Deno.test("10 requests of 150 service paths each in flight while a service is killed: it runs again", async () => {
  const services = downServices(300);
  services.victim = { run: SLEEP };
  const n = await Nitro.create(services);
  // A short way to the services, so that 150 paths fit in a 4 KiB request.
  const short = `/tmp/n${crypto.randomUUID().slice(0, 6)}`;
  Deno.symlinkSync(n.dir, short);
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    const log = await EventLog.open(n.sock, false);
    try {
      await eventually(async () => (await n.states()).victim?.state === "UP");
      const pid = (await n.states()).victim.pid!;
      const paths = Array.from(
        { length: 150 },
        (_, i) => `${short}/svc${String(i * 2).padStart(3, "0")}`,
      );
      const line = JSON.stringify({ op: "pidof", services: paths }) + "\n";
      assert.ok(new TextEncoder().encode(line).length <= 4096);
      const answers: Promise<Record<string, unknown> | null>[] = [];
      for (let i = 0; i < 10; i++) {
        const c = await connect(n.sock);
        conns.push(c);
        await writeAll(c, line);
        answers.push(new LineReader(c).next());
      }
      Deno.kill(pid, "SIGKILL");
      const results = await Promise.all(answers);
      for (const r of results) {
        assert.equal(r?.ok, true, JSON.stringify(r));
        assert.equal(Object.keys(r!.pids as object).length, 150);
      }
      const again = await log.waitFor(
        (e) => e.name === "victim" && e.state === "UP" && e.pid !== pid,
        15_000,
        "victim UP again",
      );
      assert.notEqual(again.pid, pid);
    } finally {
      await log.close();
    }
  } finally {
    closeAll(conns);
    Deno.removeSync(short);
    await n.stop();
  }
});
