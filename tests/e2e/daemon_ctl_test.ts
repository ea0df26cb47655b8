/**
 * nitroctl against a real nitro: `list`/`l`/no command and its
 * line format, `--json`, `info`, `up`/`u`, `down`/`d`, `start`, `stop`,
 * `restart`, `fast-start`, `fast-stop`, `fast-restart`/`r`, `wait-up`,
 * `wait-down`, `wait-starting`, `ready`, every signal command by full name
 * and first letter, `pidof`, `check`, `events` and `events --replay`, `-t`
 * (exit 3), `-v`, several services per call handled concurrently, and the
 * exit statuses 0/1/111 of real outcomes.
 */

import assert from "node:assert/strict";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import {
  ctlScript,
  EventLog,
  killChildren,
  Lines,
  procState,
  readOr,
  sh,
  spawnCtl,
} from "../helpers/daemon.ts";

const SLEEP = sh("exec sleep 1000");

Deno.test("list, l and no command: `STATE name (pid N) (wstatus N) Ns`, sorted; --json; info", async () => {
  const n = await Nitro.create();
  const CTL = ctlScript(n);
  writeServices(n.dir, {
    web: { run: SLEEP },
    dn: { run: SLEEP, down: "" },
    // Exits 3 once, then its finish keeps it down.
    ex: { run: sh("exit 3"), finish: sh(`${CTL} down .`) },
  });
  try {
    await n.start();
    const up = await n.ctl(["-t", "10", "wait-up", "web"]);
    assert.equal(up.code, 0, up.stderr);
    await eventually(async () => (await n.states()).ex?.state === "DOWN");
    const pid = (await n.states()).web.pid!;

    const r = await n.ctl(["list"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /^DOWN dn \(wstatus 0\) \d+s$/);
    assert.match(lines[1], /^DOWN ex \(wstatus 768\) \d+s$/);
    assert.match(
      lines[2],
      new RegExp(`^UP web \\(pid ${pid}\\) \\(wstatus 0\\) \\d+s$`),
    );
    // No command and `l` are list.
    for (const args of [[], ["l"]]) {
      const same = await n.ctl(args);
      assert.equal(same.code, 0, same.stderr);
      assert.deepEqual(
        same.stdout.split("\n").map((l) => l.replace(/\d+s$/, "")),
        r.stdout.split("\n").map((l) => l.replace(/\d+s$/, "")),
      );
    }
    // With services: only those.
    const some = await n.ctl(["list", "web", "dn"]);
    assert.equal(some.code, 0, some.stderr);
    const names = some.stdout.trimEnd().split("\n").map((l) => l.split(" ")[1]);
    assert.deepEqual(names.sort(), ["dn", "web"]);

    const json = await n.ctl(["--json", "list"]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(parsed.map((s: { name: string }) => s.name), [
      "dn",
      "ex",
      "web",
    ]);
    const web = parsed[2];
    assert.equal(web.state, "UP");
    assert.equal(web.pid, pid);
    assert.equal(web.wstatus, 0);
    assert.equal(typeof web.seconds, "number");
    assert.equal(parsed[1].wstatus, 768);
    assert.equal(parsed[1].pid, null);

    const info = await n.ctl(["info"]);
    assert.equal(info.code, 0, info.stderr);
    const kv = Object.fromEntries(
      info.stdout.trimEnd().split("\n").map((l) => {
        const i = l.indexOf(" ");
        return [l.slice(0, i), l.slice(i + 1)];
      }),
    );
    assert.equal(kv.pid, String(n.pid));
    assert.equal(kv.max_service, "3");
    // ex run + finish
    assert.ok(Number(kv.total_reaps) >= 2, `reaps ${kv.total_reaps}`);
    const infoJson = JSON.parse((await n.ctl(["--json", "info"])).stdout);
    assert.equal(infoJson.pid, n.pid);
    assert.equal(infoJson.services, 3);
    assert.equal(infoJson.dir, n.dir);
  } finally {
    await n.stop();
  }
});

Deno.test("up/u return at once; down/d (as C's), start/stop/restart wait; fast-* wait for STARTING/SHUTDOWN/STARTING; wait-*", async () => {
  const n = await Nitro.create();
  writeServices(n.dir, {
    s1: { run: SLEEP, down: "" },
    s2: { run: SLEEP, down: "" },
    s3: { run: SLEEP, down: "" },
    // Its finish takes 1.5 s, so SHUTDOWN and RESTART can be seen.
    slow: { run: SLEEP, finish: sh("sleep 1.5"), down: "" },
  });
  try {
    await n.start();
    const state = async (name: string) => (await n.states())[name].state;

    // Right after they return, the services are not UP yet.
    const u = await n.ctl(["u", "s1"]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(await state("s1"), "STARTING");
    const fs = await n.ctl(["-t", "5", "fast-start", "s2"]);
    assert.equal(fs.code, 0, fs.stderr);
    assert.equal(await state("s2"), "STARTING");
    const ws = await n.ctl(["-t", "5", "wait-starting", "s1", "s2"]);
    assert.equal(ws.code, 0, ws.stderr);
    const up = await n.ctl(["up", "s3"]);
    assert.equal(up.code, 0, up.stderr);

    // Meanwhile: start waits for UP.
    const start = await n.ctl(["-t", "10", "start", "slow"]);
    assert.equal(start.code, 0, start.stderr);
    // Returned once UP (it is UP 2 s after STARTING: had start returned
    // earlier, the state would still be STARTING).
    assert.equal(await state("slow"), "UP");
    const wu = await n.ctl(["-t", "5", "wait-up", "s1", "s2", "s3"]);
    assert.equal(wu.code, 0, wu.stderr);

    // C nitroctl's down waits for DOWN, as stop does.
    const d = await n.ctl(["d", "s1"]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await state("s1"), "DOWN");
    const down = await n.ctl(["down", "s3"]);
    assert.equal(down.code, 0, down.stderr);
    const wd = await n.ctl(["-t", "5", "wait-down", "s1", "s3"]);
    assert.equal(wd.code, 0, wd.stderr);
    assert.equal(await state("s1"), "DOWN");
    const stop = await n.ctl(["-t", "5", "stop", "s2"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await state("s2"), "DOWN");

    // fast-restart and r: return once STARTING again, as C nitroctl's
    // (its finish ran 1.5 s in RESTART meanwhile; UP comes 2 s later).
    for (const word of ["fast-restart", "r"]) {
      const fr = await n.ctl(["-t", "5", word, "slow"]);
      assert.equal(fr.code, 0, fr.stderr);
      assert.equal(await state("slow"), "STARTING", word);
      const back = await n.ctl(["-t", "10", "wait-up", "slow"]);
      assert.equal(back.code, 0, back.stderr);
    }
    // restart: returns UP again, with another process.
    const pid = (await n.states()).slow.pid;
    const restart = await n.ctl(["-t", "10", "restart", "slow"]);
    assert.equal(restart.code, 0, restart.stderr);
    const after = (await n.states()).slow;
    assert.equal(after.state, "UP");
    assert.notEqual(after.pid, pid);
    // fast-stop: returns in SHUTDOWN.
    const fst = await n.ctl(["-t", "5", "fast-stop", "slow"]);
    assert.equal(fst.code, 0, fst.stderr);
    assert.equal(await state("slow"), "SHUTDOWN");
    const wd2 = await n.ctl(["-t", "5", "wait-down", "slow"]);
    assert.equal(wd2.code, 0, wd2.stderr);
    assert.equal(await state("slow"), "DOWN");
  } finally {
    await n.stop();
  }
});

Deno.test("signal commands by full name and by first letter", async () => {
  const n = await Nitro.create();
  const R = n.root;
  const traps = ["HUP", "ALRM", "INT", "QUIT", "USR1", "USR2"]
    .map((s) => `trap "echo ${s} >> ${R}/sig.got" ${s}`);
  const victim = (name: string) => ({
    run: SLEEP,
    finish: sh(`echo "$1 $2" >> ${R}/${name}.finish`),
  });
  writeServices(n.dir, {
    sig: { run: sh(...traps, "while :; do sleep 0.05; done") },
    v1: victim("v1"),
    v2: victim("v2"),
    v3: victim("v3"),
    v4: victim("v4"),
  });
  try {
    await n.start();
    const ok = await n.ctl([
      "-t",
      "5",
      "wait-starting",
      "sig",
      "v1",
      "v2",
      "v3",
      "v4",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const got = () => readOr(`${R}/sig.got`).split("\n").filter((l) => l);
    const words: [string, string][] = [
      ["hup", "HUP"],
      ["alarm", "ALRM"],
      ["interrupt", "INT"],
      ["quit", "QUIT"],
      ["1", "USR1"],
      ["2", "USR2"],
      ["h", "HUP"],
      ["a", "ALRM"],
      ["i", "INT"],
      ["q", "QUIT"],
    ];
    for (const [i, [word, name]] of words.entries()) {
      const r = await n.ctl([word, "sig"]);
      assert.equal(r.code, 0, `${word}: ${r.stderr}`);
      await eventually(() => got().length === i + 1, 5000, `${word} trapped`);
      assert.equal(got()[i], name, word);
    }
    const pid = (await n.states()).sig.pid!;
    for (const [stop, cont] of [["pause", "cont"], ["p", "c"]]) {
      assert.equal((await n.ctl([stop, "sig"])).code, 0);
      await eventually(() => procState(pid) === "T", 5000, stop);
      assert.equal((await n.ctl([cont, "sig"])).code, 0);
      await eventually(() => procState(pid) !== "T", 5000, cont);
    }
    const r = await Promise.all([
      n.ctl(["term", "v1"]),
      n.ctl(["t", "v2"]),
      n.ctl(["kill", "v3"]),
      n.ctl(["k", "v4"]),
    ]);
    for (const x of r) assert.equal(x.code, 0, x.stderr);
    const want = { v1: "-1 15", v2: "-1 15", v3: "-1 9", v4: "-1 9" };
    for (const [name, line] of Object.entries(want)) {
      await eventually(() => readOr(`${R}/${name}.finish`) !== "", 5000, name);
      assert.equal(readOr(`${R}/${name}.finish`), line + "\n", name);
    }
    assert.equal((await n.states()).sig.pid, pid, "sig was restarted");
  } finally {
    await n.stop();
  }
});

Deno.test("pidof prints pids, exits 1 when one has none; check; ready; -t expires with 3; -v prints transitions", async () => {
  const n = await Nitro.create();
  writeServices(n.dir, {
    a: { run: SLEEP },
    dn: { run: SLEEP, down: "" },
    manual: { run: SLEEP, "notification-fd": "0\n", down: "" },
    vv: { setup: sh("exit 0"), run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const verbose = n.ctl(["-t", "10", "-v", "start", "vv"]);
    const s = await n.states();
    const pid = s.a.pid!;
    assert.ok(pid > 0);

    const p = await n.ctl(["pidof", "a"]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, `${pid}\n`);
    const p2 = await n.ctl(["pidof", "a", "dn"]);
    assert.equal(p2.code, 1);
    assert.equal(p2.stdout, `${pid}\n`);
    const c = await n.ctl(["check", "a"]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, "");
    assert.equal((await n.ctl(["check", "a", "dn"])).code, 1);
    assert.equal((await n.ctl(["check", "dn"])).code, 1);

    // notification-fd 0: STARTING until `ready`; a start times out.
    const late = await n.ctl(["-t", "1", "start", "manual"]);
    assert.equal(late.code, 3, late.stderr);
    assert.equal(
      late.stderr,
      "nitroctl: action timed out: manual is STARTING\n",
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await n.states()).manual.state, "STARTING");
    const ready = await n.ctl(["ready", "manual"]);
    assert.equal(ready.code, 0, ready.stderr);
    assert.equal((await n.states()).manual.state, "UP");
    const wd = await n.ctl(["-t", "0.5", "wait-down", "a"]);
    assert.equal(wd.code, 3);
    // wait-up waits for a service nobody wants up: -t ends it with 3.
    const idle = await n.ctl(["-t", "0.5", "wait-up", "dn"]);
    assert.equal(idle.code, 3, idle.stderr);
    const waiting = n.ctl(["-t", "10", "wait-up", "dn"]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await n.ctl(["up", "dn"])).code, 0);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal((await n.states()).dn.state, "UP");

    const v = await verbose;
    assert.equal(v.code, 0, v.stderr);
    // -v prints what C nitroctl's prints: each announcement until UP -
    // SETUP twice (the change, then the request's own announcement).
    assert.deepEqual(v.stdout.trimEnd().split("\n"), [
      "SETUP vv",
      "SETUP vv",
      "STARTING vv",
      "UP vv",
    ]);
    const vs = await n.ctl(["-t", "10", "-v", "stop", "vv"]);
    assert.equal(vs.code, 0, vs.stderr);
    assert.deepEqual(vs.stdout.trimEnd().split("\n"), [
      "SHUTDOWN vv",
      "DOWN vv",
    ]);
  } finally {
    await n.stop();
  }
});

Deno.test("several services per call are handled concurrently; one FATAL fails the call with 1", async () => {
  const n = await Nitro.create();
  writeServices(n.dir, {
    p1: { run: SLEEP, down: "" },
    p2: { run: SLEEP, down: "" },
    p3: { run: SLEEP, down: "" },
    bad: { setup: sh("exit 111"), run: SLEEP, down: "" },
  });
  try {
    await n.start();
    const log = await EventLog.open(n.sock, true);
    const r = await n.ctl(["-t", "10", "start", "p1", "p2", "p3"]);
    assert.equal(r.code, 0, r.stderr);
    // Concurrent: all three start before any is UP (one after the other,
    // each would be UP before the next started).
    await log.waitFor((e) => e.name === "p3" && e.state === "UP");
    await log.close();
    const seen = log.events
      .filter((e) => ["p1", "p2", "p3"].includes(e.name))
      .map((e) => e.state);
    assert.deepEqual(seen.slice(0, 3), ["STARTING", "STARTING", "STARTING"]);
    const s = await n.states();
    for (const name of ["p1", "p2", "p3"]) assert.equal(s[name].state, "UP");

    const f = await n.ctl(["-t", "10", "restart", "p1", "bad"]);
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stderr, /bad/);
    assert.doesNotMatch(f.stderr, /p1/);
    const after = await n.states();
    assert.equal(after.bad.state, "FATAL");
    assert.equal(after.p1.state, "UP");

    const stop = await n.ctl(["-t", "10", "stop", "p1", "p2", "p3", "bad"]);
    assert.equal(stop.code, 0, stop.stderr);
    const down = await n.states();
    for (const name of ["p1", "p2", "p3"]) {
      assert.equal(down[name].state, "DOWN");
    }
  } finally {
    await n.stop();
  }
});

Deno.test("events prints `STATE name` as it happens; --replay starts with the history", async () => {
  const n = await Nitro.create({
    a: { run: SLEEP },
    ping: { run: SLEEP, down: "" },
  });
  const children: Deno.ChildProcess[] = [];
  try {
    await n.start();
    const up = await n.ctl(["-t", "10", "wait-up", "a"]);
    assert.equal(up.code, 0, up.stderr);

    const live = spawnCtl(n, ["events"]);
    children.push(live);
    const liveOut = new Lines(live.stdout);
    // Make events until the stream shows one: then it is subscribed.
    await eventually(
      async () => {
        if (liveOut.text.includes("ping")) return true;
        assert.equal((await n.ctl(["fast-restart", "ping"])).code, 0);
        return false;
      },
      10_000,
      "events to print a ping",
    );
    const restart = await n.ctl(["-t", "10", "restart", "a"]);
    assert.equal(restart.code, 0, restart.stderr);
    await liveOut.waitFor("UP a");
    assert.deepEqual(liveOut.lines.filter((l) => l.endsWith(" a")), [
      "RESTART a",
      "DOWN a",
      "STARTING a",
      "UP a",
    ]);
    assert.ok(liveOut.lines.every((l) => /^[A-Z]+ (a|ping)$/.test(l)));

    const replay = spawnCtl(n, ["events", "--replay"]);
    children.push(replay);
    const replayOut = new Lines(replay.stdout);
    await eventually(() =>
      replayOut.lines.filter((l) => l.endsWith(" a")).length >= 6
    );
    assert.deepEqual(replayOut.lines.filter((l) => l.endsWith(" a")), [
      "STARTING a",
      "UP a",
      "RESTART a",
      "DOWN a",
      "STARTING a",
      "UP a",
    ]);
    const json = await n.ctl(["-t", "1", "--json", "events", "--replay"]);
    assert.equal(json.code, 3);
    const first = JSON.parse(json.stdout.split("\n")[0]);
    assert.equal(first.name, "a");
    assert.equal(first.state, "STARTING");
    assert.equal(typeof first.pid, "number");
    assert.equal(typeof first.time, "number");
  } finally {
    await killChildren(children);
    for (const c of children) await c.stderr.cancel().catch(() => {});
    await n.stop();
  }
});
