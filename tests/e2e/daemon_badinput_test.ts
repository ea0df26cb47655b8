/**
 * Bad input, with a real nitro: a missing DIR, a DIR that is a file and an
 * unusable socket path (one line on stderr, exit 111, SYS/fatal run where
 * it exists); a second nitro on a live socket refused; a stale socket
 * replaced; socket directory 0700 and socket 0600; invalid and over-long
 * service names and non-executable `run` ignored with a message; a `#!`
 * interpreter that is missing → FATAL; malformed, unknown, oversized
 * requests and too many clients on the socket; nitroctl's usage errors,
 * unknown services and an unreachable nitro.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import {
  connect,
  killChildren,
  LineReader,
  readOr,
  request,
  runNitro,
  sh,
  spawnNitro,
  within,
  writeAll,
} from "../helpers/daemon.ts";

const SLEEP = sh("exec sleep 1000");

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `not one line:\n${stderr}`);
  return lines[0];
}

Deno.test("nitro with a missing DIR, a DIR that is a file, an unusable socket: one line, exit 111, SYS/fatal runs", async () => {
  const root = await Deno.makeTempDir({ prefix: "nitro-test-" });
  try {
    const sock = join(root, "nitro.sock");
    const missing = join(root, "missing");
    const file = join(root, "file");
    Deno.writeTextFileSync(file, "");
    const dir = join(root, "svc");
    writeServices(dir, {
      SYS: { fatal: sh(`echo "fatal $#" >> ${root}/fatal.ran`) },
      a: { run: sh(`echo ran > ${root}/a.ran`, "exec sleep 1000") },
    });
    const long = join(root, "x".repeat(120), "nitro.sock");
    const [m, f, s, l] = await Promise.all([
      runNitro([missing], sock),
      runNitro([file], sock),
      // The socket's directory would have to be inside a regular file.
      runNitro([dir], join(file, "nitro.sock")),
      // Longer than a Unix socket path can be.
      runNitro([dir], long),
    ]);
    assert.equal(m.code, 111);
    assert.match(oneLine(m.stderr), new RegExp(missing));
    assert.equal(f.code, 111);
    assert.match(oneLine(f.stderr), new RegExp(file));
    assert.equal(s.code, 111);
    assert.match(oneLine(s.stderr), new RegExp(join(file, "nitro.sock")));
    assert.equal(l.code, 111);
    assert.match(oneLine(l.stderr), new RegExp(long));
    assert.equal(readOr(`${root}/fatal.ran`), "fatal 0\nfatal 0\n");
    assert.equal(readOr(`${root}/a.ran`), "", "a service ran anyway");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("socket: a second nitro refuses a live socket; a stale one is replaced; directory 0700, socket 0600", async () => {
  const n = await Nitro.create({ a: { run: SLEEP } });
  const children: Deno.ChildProcess[] = [];
  try {
    // A stale socket: its listener was SIGKILLed, the file stays.
    const stale = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${
          JSON.stringify(n.sock)
        } }); console.log("ready"); setInterval(() => {}, 1000);`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    children.push(stale);
    const reader = stale.stdout.getReader();
    await reader.read();
    reader.releaseLock();
    stale.kill("SIGKILL");
    await stale.status;
    await stale.stdout.cancel();
    assert.ok(Deno.lstatSync(n.sock).isSocket, "no stale socket to test");

    await n.start();
    assert.equal((await n.ctl(["list"])).code, 0);
    assert.equal(Deno.statSync(n.sock).mode! & 0o777, 0o600);

    // A second nitro on the live socket: refused, the first unharmed.
    const second = await runNitro([n.dir], n.sock);
    assert.equal(second.code, 111);
    assert.match(oneLine(second.stderr), new RegExp(n.sock));
    const list = await n.ctl(["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, / a /);
    assert.ok(Deno.lstatSync(n.sock).isSocket);

    // A fresh socket directory is made 0700.
    const sock = join(n.root, "run", "nitro", "nitro.sock");
    const empty = join(n.root, "empty");
    Deno.mkdirSync(empty);
    const third = spawnNitro([empty], sock);
    children.push(third);
    await eventually(
      async () => {
        try {
          (await connect(sock)).close();
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      "third nitro",
    );
    assert.equal(
      Deno.statSync(join(n.root, "run", "nitro")).mode! & 0o777,
      0o700,
    );
    assert.equal(Deno.statSync(sock).mode! & 0o777, 0o600);
    third.kill("SIGTERM");
    const status = await within(third.status, 10_000, "third nitro to exit");
    assert.equal(status.code, 0);
  } finally {
    await killChildren(children);
    await n.stop();
  }
});

Deno.test("invalid and over-long names: ignored with a message; a directory with nothing to run is no service; non-executable run and a missing #! interpreter: FATAL with the reason", async () => {
  const long = "x".repeat(64);
  const longest = "y".repeat(63);
  const n = await Nitro.create({
    ok: { run: SLEEP },
    [longest]: { run: SLEEP },
    [long]: { run: SLEEP },
    "a,b": { run: SLEEP },
    "nl\nx": { run: SLEEP },
    ".hidden": { run: SLEEP },
    "tmpl@": { run: SLEEP },
    empty: { note: "nothing to run" },
    noexec: { run: "exec sleep 1000\n" },
    nointerp: { run: "#!/nonexistent/interpreter\nexit 0\n" },
  });
  try {
    await n.start();
    await eventually(async () => {
      const s = await n.states();
      return s.nointerp?.state === "FATAL" && s.noexec?.state === "FATAL";
    });
    const states = await n.states();
    assert.deepEqual(Object.keys(states).sort(), [
      "noexec",
      "nointerp",
      "ok",
      longest,
    ]);
    const err = n.stderr;
    assert.match(err, new RegExp(long));
    assert.match(err, /a,b/);
    assert.match(err, /nl\\nx/);
    assert.match(err, /^- nitro: noexec: run is not executable$/m);
    assert.match(err, /nointerp.*\/nonexistent\/interpreter/);
    assert.doesNotMatch(err, /hidden|tmpl/);
    // As C nitro: neither run nor setup, no service; said at each look.
    assert.match(err, /^- nitro: no such service: empty$/m);

    const start = await n.ctl(["-t", "5", "start", "nointerp"]);
    assert.equal(start.code, 1, start.stderr);
    assert.equal((await n.states()).nointerp.state, "FATAL");
    const up = await n.ctl(["up", long]);
    assert.equal(up.code, 111);
    assert.match(oneLine(up.stderr), /long/);
    // The daemon is still fine.
    const ok = await n.ctl(["-t", "10", "start", "ok", longest]);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await n.stop();
  }
});

Deno.test("socket: malformed JSON, unknown op, bad fields, oversized lines, too many clients — nitro keeps serving", async () => {
  const n = await Nitro.create({ a: { run: SLEEP } });
  const conns: Deno.Conn[] = [];
  try {
    await n.start();
    const conn = await connect(n.sock);
    conns.push(conn);
    const lines = new LineReader(conn);
    const ask = async (text: string) => {
      await writeAll(conn, text + "\n");
      return await lines.next();
    };
    const code = (r: Record<string, unknown> | null) =>
      (r?.error as { code?: string } | undefined)?.code;

    assert.equal(code(await ask("not json")), "bad-request");
    assert.equal(code(await ask("[1, 2]")), "bad-request");
    assert.equal(code(await ask("42")), "bad-request");
    const unknown = await ask('{"id":"x","op":"frob"}');
    assert.equal(code(unknown), "unknown-op");
    assert.equal(unknown?.id, "x");
    assert.equal(code(await ask('{"op":"up"}')), "bad-request");
    assert.equal(code(await ask('{"op":"up","services":[1]}')), "bad-request");
    assert.equal(
      code(await ask('{"op":"signal","services":["a"],"signal":"SIGFOO"}')),
      "bad-request",
    );
    assert.equal(
      code(await ask('{"op":"wait","services":["a"],"wait":"never"}')),
      "bad-request",
    );
    assert.equal(
      code(await ask('{"op":"up","services":["nope"]}')),
      "no-such-service",
    );
    assert.equal(code(await ask('{"op":"up","services":[".x"]}')), "bad-name");
    // The same connection still works, and a 4096-byte line is fine.
    const list = '{"id":7,"op":"list","pad":"';
    const full = list + "p".repeat(4096 - list.length - 2) + '"}';
    assert.equal(new TextEncoder().encode(full).length, 4096);
    const answer = await ask(full);
    assert.equal(answer?.ok, true);
    assert.equal(answer?.id, 7);

    // Over 4 KiB, with or without a newline: too-long, then closed.
    for (const text of ["x".repeat(5000) + "\n", "y".repeat(5000)]) {
      const c = await connect(n.sock);
      conns.push(c);
      await writeAll(c, text);
      const r = new LineReader(c);
      assert.equal(code(await r.next()), "too-long");
      assert.equal(await r.next(), null);
    }

    // 64 clients at once are served; the next ones are turned away.
    const held: Deno.Conn[] = [conn];
    while (held.length < 64) {
      const c = await connect(n.sock);
      conns.push(c);
      held.push(c);
    }
    const readers = held.map((c, i) => i === 0 ? lines : new LineReader(c));
    const answers = await Promise.all(held.map(async (c, i) => {
      await writeAll(c, JSON.stringify({ id: i, op: "info" }) + "\n");
      return await readers[i].next();
    }));
    assert.ok(answers.every((a) => a?.ok === true), "a held client failed");
    // Full: a new client is still served, the connection idle the longest
    // gives way (tests/e2e/control_limits_test.ts: refusals, `busy`).
    const fresh = await connect(n.sock);
    conns.push(fresh);
    await writeAll(fresh, '{"id":"fresh","op":"info"}\n');
    assert.equal((await new LineReader(fresh).next())?.ok, true);
    // The held clients still work (all but at most the one that gave way,
    // which is closed): each answers its own request.
    const again = await Promise.all(held.map(async (c, i) => {
      const id = `again-${i}`;
      try {
        await writeAll(c, JSON.stringify({ id, op: "list" }) + "\n");
        const a = await readers[i].next();
        if (a?.ok === true && a.id === id) return "answered";
        // Given way: at most a parting error line, then the end.
        assert.equal(a === null || a.ok === false, true, JSON.stringify(a));
        if (a !== null) assert.equal(await readers[i].next(), null);
        return "closed";
      } catch (err) {
        if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
        return "closed";
      }
    }));
    const answered = again.filter((a) => a === "answered").length;
    assert.ok(answered >= held.length - 1, `only ${answered} answered`);
    // Once they go, new ones are served.
    for (const c of held) {
      try {
        c.close();
      } catch {
        // Closed.
      }
    }
    await eventually(
      async () => {
        try {
          return (await request(n.sock, { op: "list" })).ok === true;
        } catch {
          return false;
        }
      },
      5000,
      "nitro to serve again",
    );
    const r = await n.ctl(["-t", "10", "start", "a"]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // Closed.
      }
    }
    await n.stop();
  }
});

Deno.test("nitroctl: unknown command → 2, unknown service → 111, nitro not running → 111 naming the socket", async () => {
  const n = await Nitro.create({ a: { run: SLEEP } });
  try {
    await n.start();
    const unknown = await n.ctl(["frobnicate", "a"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /frobnicate/);
    const noService = await n.ctl(["start"]);
    assert.equal(noService.code, 2);
    const badT = await n.ctl(["-t", "soon", "start", "a"]);
    assert.equal(badT.code, 2);
    for (const cmd of ["up", "start", "stop", "pidof", "list", "kill"]) {
      const r = await n.ctl(["-t", "5", cmd, "nosuch"]);
      assert.equal(r.code, 111, `${cmd}: ${r.stderr}`);
      assert.match(oneLine(r.stderr), /nosuch/);
    }
    const gone = join(n.root, "nothing-here.sock");
    const unreachable = await n.ctl(["list"], { env: { NITRO_SOCK: gone } });
    assert.equal(unreachable.code, 111);
    assert.match(oneLine(unreachable.stderr), new RegExp(gone));
    // After all that, nitro still answers.
    assert.equal((await n.ctl(["list", "a"])).code, 0);
  } finally {
    await n.stop();
  }
});
