import assert from "node:assert/strict";
import { PERMISSIONS } from "../../ci/permissions.ts";
import type { Request } from "../../src/protocol.ts";
import { lookupCommand } from "../../src/ctl/commands.ts";
import { invocation } from "../../src/ctl/invocation.ts";
import {
  basicHandler,
  BusyServer,
  detail,
  event,
  FakeDaemon,
  status,
} from "../helpers/fake_daemon.ts";
import { parseExposition } from "../helpers/exposition.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import { eventually } from "../helpers/nitro.ts";

const CLI = `${REPO_ROOT}cli/nitroctl.ts`;
const decoder = new TextDecoder();

/** Deno.Command options for nitroctl talking to `sock`. */
function command(
  sock: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Deno.CommandOptions {
  const flags: string[] = [...PERMISSIONS.nitroctl];
  // Deno ≥ 2.x checks Unix sockets against --allow-net. Until the table has
  // it, grant exactly this test's socket and nothing else.
  if (!flags.some((f) => f.startsWith("--allow-net"))) {
    flags.push(`--allow-net=unix:${sock}`);
  }
  return {
    args: ["run", ...flags, CLI, ...args],
    cwd: opts.cwd,
    env: { NITRO_SOCK: sock, NITRO_SERVICE: "", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run nitroctl to completion (killed after 30 s, so a hang fails). */
async function nitroctl(
  sock: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), command(sock, args, opts))
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `run` over `items`, a few at a time: dozens of Deno start-ups at once
 * starve a small machine. Results in the order of `items`.
 */
async function batched<T, R>(
  items: readonly T[],
  run: (item: T, index: number) => Promise<R>,
  size = 4,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    const batch = items.slice(i, i + size);
    results.push(...await Promise.all(batch.map((x, j) => run(x, i + j))));
  }
  return results;
}

/** A request without its id. */
function bare(request: Request): Record<string, unknown> {
  const { id: _, ...rest } = request;
  return rest;
}

const TABLE = [
  status("cron", "DOWN", null, 256, 40),
  status("db", "UP", 10, 0, 5),
  status("web", "STARTING", 11),
];

Deno.test("list prints STATE name (pid) (wstatus) Ns, the pid only when set", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const all = await nitroctl(daemon.path, []);
  assert.deepEqual(all, {
    ...all,
    code: 0,
    stderr: "",
    stdout: "DOWN cron (wstatus 256) 40s\n" +
      "UP db (pid 10) (wstatus 0) 5s\n" +
      "STARTING web (pid 11) (wstatus 0) 0s\n",
  });
  const some = await nitroctl(daemon.path, ["list", "web", "db"]);
  assert.equal(some.code, 0);
  assert.equal(
    some.stdout,
    "UP db (pid 10) (wstatus 0) 5s\nSTARTING web (pid 11) (wstatus 0) 0s\n",
  );
  assert.deepEqual(daemon.requests.map(bare), [
    { op: "list" },
    { op: "list", services: ["web", "db"] },
  ]);
});

Deno.test("info prints nitro's numeric keys first, only numbers", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const run = await nitroctl(daemon.path, ["info"]);
  assert.equal(run.code, 0);
  assert.equal(
    run.stdout,
    [
      "nitro_pid 1234",
      "pid 1234",
      "max_service 3",
      "total_reaps 7",
      "total_sv_reaps 5",
      "uptime_ms 61999",
      "protocol 1",
      "fds 11",
      "rss_bytes 40000000",
      "boot_ms 12",
      "",
    ].join("\n"),
  );
  for (const l of run.stdout.trimEnd().split("\n")) {
    assert.match(l, /^[a-z_]+ \d+$/);
  }
});

Deno.test("--json prints the protocol's objects", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const [list, info, pidof, start, rescan] = await Promise.all([
    nitroctl(daemon.path, ["--json", "list"]),
    nitroctl(daemon.path, ["info", "--json"]),
    nitroctl(daemon.path, ["--json", "pidof", "db", "cron"]),
    nitroctl(daemon.path, ["--json", "start", "db"]),
    nitroctl(daemon.path, ["--json", "rescan"]),
  ]);
  assert.deepEqual(JSON.parse(list.stdout), TABLE);
  assert.equal(JSON.parse(info.stdout).dir, "/etc/nitro");
  assert.deepEqual(JSON.parse(pidof.stdout), { db: 10, cron: null });
  assert.equal(pidof.code, 1); // exit statuses do not change with --json
  assert.deepEqual(JSON.parse(start.stdout), [
    { name: "db", state: "UP", ok: true },
  ]);
  assert.deepEqual(JSON.parse(rescan.stdout), []);
  for (const run of [list, info, start, rescan]) {
    assert.equal(run.code, 0);
    assert.equal(run.stdout.split("\n").length, 2); // one line each
  }
});

Deno.test("each command word sends its request", async () => {
  const rows: Array<[string, Record<string, unknown>]> = [
    ["up", { op: "up" }],
    ["u", { op: "up" }],
    ["down", { op: "down" }],
    ["d", { op: "down" }],
    ["start", { op: "up", wait: "up" }],
    ["stop", { op: "down", wait: "down" }],
    ["restart", { op: "restart", wait: "up" }],
    ["fast-start", { op: "up", wait: "starting" }],
    ["fast-stop", { op: "down", wait: "shutdown" }],
    // As C nitroctl: until STARTING again (its page says RESTART).
    ["fast-restart", { op: "restart", wait: "starting" }],
    ["r", { op: "restart", wait: "starting" }],
    ["wait-up", { op: "wait", wait: "up" }],
    ["wait-down", { op: "wait", wait: "down" }],
    ["wait-starting", { op: "wait", wait: "starting" }],
    ["ready", { op: "ready" }],
    ["pidof", { op: "pidof" }],
    ["pause", { op: "signal", signal: "SIGSTOP" }],
    ["p", { op: "signal", signal: "SIGSTOP" }],
    ["cont", { op: "signal", signal: "SIGCONT" }],
    ["c", { op: "signal", signal: "SIGCONT" }],
    ["hup", { op: "signal", signal: "SIGHUP" }],
    ["h", { op: "signal", signal: "SIGHUP" }],
    ["alarm", { op: "signal", signal: "SIGALRM" }],
    ["a", { op: "signal", signal: "SIGALRM" }],
    ["interrupt", { op: "signal", signal: "SIGINT" }],
    ["i", { op: "signal", signal: "SIGINT" }],
    ["quit", { op: "signal", signal: "SIGQUIT" }],
    ["q", { op: "signal", signal: "SIGQUIT" }],
    ["term", { op: "signal", signal: "SIGTERM" }],
    ["t", { op: "signal", signal: "SIGTERM" }],
    ["kill", { op: "signal", signal: "SIGKILL" }],
    ["k", { op: "signal", signal: "SIGKILL" }],
    ["1", { op: "signal", signal: "SIGUSR1" }],
    ["2", { op: "signal", signal: "SIGUSR2" }],
  ];
  // One service per row, so each request tells which row sent it.
  const table = rows.map((_, i) => status(`s${i}`, "UP", 100 + i));
  await using daemon = await FakeDaemon.start(basicHandler(table));
  const runs = await batched(
    rows,
    ([word], i) => nitroctl(daemon.path, [word, `s${i}`]),
  );
  rows.forEach(([word, expected], i) => {
    assert.deepEqual([word, runs[i].code, runs[i].stderr], [word, 0, ""]);
    const sent = daemon.requests.filter((r) =>
      "services" in r && r.services?.[0] === `s${i}`
    );
    assert.deepEqual(sent.map(bare), [{ ...expected, services: [`s${i}`] }]);
  });

  const bareRows: Array<[string[], Record<string, unknown>]> = [
    [["rescan"], { op: "rescan" }],
    [["scan"], { op: "rescan" }],
    [["s"], { op: "rescan" }], // C nitroctl's first letter of scan
    [["Shutdown"], { op: "shutdown" }],
    [["Reboot"], { op: "reboot" }],
  ];
  for (const [args, expected] of bareRows) {
    daemon.requests.length = 0;
    const run = await nitroctl(daemon.path, args);
    assert.deepEqual([args, run.code, run.stdout, run.stderr], [
      args,
      0,
      "",
      "",
    ]);
    assert.deepEqual(daemon.requests.map(bare), [expected]);
  }
});

Deno.test("full names win over signal prefixes", () => {
  assert.equal(lookupCommand("d")?.action.kind, "change"); // not a signal
  assert.equal(lookupCommand("info")?.action.kind, "info"); // not interrupt
  assert.equal(lookupCommand("check")?.action.kind, "check"); // not cont
  assert.equal(lookupCommand("pidof")?.action.kind, "pidof"); // not pause
  assert.deepEqual(lookupCommand("inter")?.action, {
    kind: "signal",
    signal: "SIGINT",
  });
  assert.equal(lookupCommand("shutdown"), undefined); // capital S only
  assert.equal(lookupCommand("killall"), undefined);
  assert.equal(lookupCommand(""), undefined);
});

Deno.test("a start that ends FATAL exits 1: failed to start 'X', as C", async () => {
  await using daemon = await FakeDaemon.start((_, reply) =>
    reply.ok({
      results: [
        { name: "a", state: "UP", ok: true },
        { name: "b", state: "FATAL", ok: false },
      ],
    })
  );
  const run = await nitroctl(daemon.path, ["start", "a", "b"]);
  assert.deepEqual([run.code, run.stdout, run.stderr], [
    1,
    "",
    "nitroctl: failed to start 'b'\n",
  ]);
});

Deno.test("-v prints each streamed state change; with --json as JSON lines", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    assert.equal("verbose" in request && request.verbose, true);
    await reply.event("web", "SHUTDOWN", 11);
    await reply.event("web", "RESTART", null);
    await reply.event("web", "STARTING", 12);
    await reply.event("web", "UP", 12);
    await reply.ok({ results: [{ name: "web", state: "UP", ok: true }] });
  });
  const text = await nitroctl(daemon.path, ["-v", "restart", "web"]);
  assert.deepEqual([text.code, text.stderr], [0, ""]);
  assert.equal(
    text.stdout,
    "SHUTDOWN web\nRESTART web\nSTARTING web\nUP web\n",
  );
  const json = await nitroctl(daemon.path, ["-v", "--json", "wait-up", "web"]);
  const lines = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    event("web", "SHUTDOWN", 11),
    event("web", "RESTART"),
    event("web", "STARTING", 12),
    event("web", "UP", 12),
    [{ name: "web", state: "UP", ok: true }],
  ]);
  assert.deepEqual(bare(daemon.requests[1]), {
    op: "wait",
    services: ["web"],
    wait: "up",
    verbose: true,
  });
});

Deno.test("pidof prints pids and fails without one; check only exits", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const [both, missing, twice, unknown, checkOk, checkFail] = await Promise
    .all([
      nitroctl(daemon.path, ["pidof", "web", "db"]),
      nitroctl(daemon.path, ["pidof", "db", "cron"]),
      nitroctl(daemon.path, ["pidof", "db", "web", "db"]),
      nitroctl(daemon.path, ["pidof", "db", "nosuch", "db"]),
      nitroctl(daemon.path, ["check", "db", "web"]),
      nitroctl(daemon.path, ["check", "db", "cron"]),
    ]);
  assert.deepEqual([both.code, both.stdout, both.stderr], [0, "11\n10\n", ""]);
  assert.deepEqual([missing.code, missing.stdout], [1, "10\n"]);
  // A line per argument, in their order, as C nitroctl's.
  assert.deepEqual([twice.code, twice.stdout], [0, "10\n11\n10\n"]);
  assert.deepEqual([unknown.code, unknown.stdout, unknown.stderr], [
    111,
    "10\n10\n",
    "nitroctl: no such service 'nosuch'\n",
  ]);
  assert.deepEqual([checkOk.code, checkOk.stdout, checkOk.stderr], [0, "", ""]);
  assert.deepEqual([checkFail.code, checkFail.stdout, checkFail.stderr], [
    1,
    "",
    "",
  ]);
});

Deno.test("usage errors exit 2 with one line on stderr and ask nothing", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const cases = [
    ["frob"],
    ["--frob", "list"],
    ["start"],
    ["kill"],
    ["info", "web"],
    ["Shutdown", "now"],
    ["-t", "soon", "list"],
    ["-t", "-1", "list"],
    ["-t", "1x", "list"],
    ["-t"],
    ["--replay", "list"],
    ["--as=init", "5"],
    ["--as=init"],
  ];
  const runs = await batched(cases, (c) => nitroctl(daemon.path, c));
  runs.forEach((run, i) => {
    assert.deepEqual([cases[i], run.code, run.stdout], [cases[i], 2, ""]);
    assert.match(run.stderr, /^[^\n]+ \((.*; )?see nitroctl --help\)\n$/);
  });
  assert.equal(
    runs[0].stderr,
    "usage: nitroctl COMMAND [SERVICE ...] (unknown command: frob; see nitroctl --help)\n",
  );
  assert.equal(
    runs[2].stderr,
    "usage: nitroctl COMMAND [SERVICE ...] (start needs a SERVICE; see nitroctl --help)\n",
  );
  assert.match(runs[6].stderr, /^nitroctl: invalid timeout \(/);
  assert.equal(
    runs[11].stderr,
    "usage: init [0|6|q] (see nitroctl --help)\n",
  );
  assert.equal(daemon.connections, 0);
});

Deno.test("-h prints the usage on stdout", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const run = await nitroctl(daemon.path, ["-h"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^usage: nitroctl \[-t SECONDS\]/);
  assert.equal(daemon.connections, 0);
});

Deno.test("-t: exit 3 when the answer is late, unbounded without it", async () => {
  // The answers to "slow" are held until the test opens the gate: no clock.
  const gate = Promise.withResolvers<void>();
  const allSlowArrived = Promise.withResolvers<void>();
  let slowArrived = 0;
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if ("services" in request && request.services?.[0] === "slow") {
      if (++slowArrived === 3) allSlowArrived.resolve();
      await gate.promise;
    }
    await reply.ok({ results: [{ name: "x", state: "UP", ok: true }] });
  });
  let unboundedDone = false;
  const unbounded = nitroctl(daemon.path, ["start", "slow"]).then((run) => {
    unboundedDone = true;
    return run;
  });
  const [late, fractional, fine] = await Promise.all([
    nitroctl(daemon.path, ["-t", "0.3", "start", "slow"]),
    nitroctl(daemon.path, ["-t.3", "wait-up", "slow"]),
    nitroctl(daemon.path, ["-t", "10", "start", "quick"]),
  ]);
  for (const run of [late, fractional]) {
    assert.deepEqual([run.code, run.stdout, run.stderr], [
      3,
      "",
      "nitroctl: action timed out\n",
    ]);
  }
  assert.equal(fine.code, 0);
  // All three slow requests were made, no answer was given yet: the one
  // without -t is still waiting for it, and ends well once it comes.
  await allSlowArrived.promise;
  assert.equal(unboundedDone, false, "nitroctl without -t gave up");
  gate.resolve();
  assert.equal((await unbounded).code, 0);
});

Deno.test("errors from nitro exit 111 with one line", async () => {
  await using daemon = await FakeDaemon.start((request, reply) => {
    const name = "services" in request ? request.services?.[0] : "";
    return name === "x".repeat(70)
      ? reply.fail("bad-name", "name longer than 63 bytes", name)
      : reply.fail("no-such-service", "no such service", name);
  });
  const [missing, long] = await Promise.all([
    nitroctl(daemon.path, ["stop", "ghost"]),
    nitroctl(daemon.path, ["up", "x".repeat(70)]),
  ]);
  assert.deepEqual([missing.code, missing.stdout, missing.stderr], [
    111,
    "",
    "nitroctl: no such service 'ghost'\n",
  ]);
  // Longer than C nitroctl sends: refused before asking, in C's words.
  assert.equal(long.code, 111);
  assert.equal(
    long.stderr,
    `nitroctl: service name too long: ${"x".repeat(70)}\n`,
  );
  assert.equal(daemon.ops("up").length, 0);
});

Deno.test("nitro unreachable: exit 111, one line naming the socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nitro-none-" });
  try {
    const sock = `${dir}/nitro.sock`;
    const run = await nitroctl(sock, ["pidof", "web"]);
    assert.deepEqual([run.code, run.stdout, run.stderr], [
      111,
      "",
      `nitroctl: cannot reach nitro at ${sock}: No such file or directory\n`,
    ]);
    // A file that is not a socket is unreachable too, still one line.
    await Deno.writeTextFile(sock, "");
    const notSocket = await nitroctl(sock, ["list"]);
    assert.equal(notSocket.code, 111);
    assert.match(
      notSocket.stderr,
      new RegExp(`^nitroctl: cannot reach nitro at ${sock}: [^\n]+\n$`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nitro hanging up mid-wait: exit 111, one line", async () => {
  await using daemon = await FakeDaemon.start((_, reply) => reply.hangup());
  const run = await nitroctl(daemon.path, ["start", "web"]);
  assert.deepEqual([run.code, run.stdout, run.stderr], [
    111,
    "",
    `nitroctl: nitro at ${daemon.path} closed the connection\n`,
  ]);
});

Deno.test("Shutdown/Reboot succeed when nitro hangs up instead of answering", async () => {
  await using daemon = await FakeDaemon.start((_, reply) => reply.hangup());
  for (const args of [["Shutdown"], ["--as=reboot"]]) {
    const run = await nitroctl(daemon.path, args);
    assert.deepEqual([args, run.code, run.stderr], [args, 0, ""]);
  }
  assert.deepEqual(daemon.requests.map(bare), [
    { op: "shutdown" },
    { op: "reboot" },
  ]);
});

Deno.test("events prints each change as it happens, until nitro closes", async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op !== "events") return;
    await reply.event("db", "UP", 10);
    await released; // the first line must show before anything else happens
    await reply.event("web", "FATAL");
    reply.hangup();
  });
  const child = new Deno.Command(
    Deno.execPath(),
    command(daemon.path, ["events", "--replay"]),
  ).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    assert.equal(seen, "UP db\n");
    // Only the events connection stays open while following.
    await eventually(
      () => daemon.open <= 1,
      2000,
      "other connections to close",
    );
    assert.equal(daemon.open, 1);
    release();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    const { code } = await child.status;
    assert.equal(seen, "UP db\nFATAL web\n");
    assert.equal(code, 0);
    assert.equal(decoder.decode(await new Response(child.stderr).bytes()), "");
    const events = daemon.ops("events");
    assert.deepEqual(events.map(bare), [{ op: "events", replay: true }]);
  } finally {
    clearTimeout(timer);
    release();
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }
});

Deno.test("events prints what C nitro announces (notice); --json every event", async () => {
  const sent = [
    { name: "db", state: "STARTING", notice: "STARTING", pid: 10, time: 0 },
    // The request's own announcement: C's events prints it again.
    { name: "db", state: "STARTING", notice: "STARTING", pid: 10, time: 0 },
    // C nitro is silent here.
    { name: "db", state: "DELAY", notice: null, pid: null, time: 1 },
    // A run that died while STARTING: announced STARTING while finish runs.
    { name: "db", state: "RESTART", notice: "STARTING", pid: 11, time: 2 },
  ];
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op !== "events") return;
    for (const event of sent) await reply.send({ event });
    reply.hangup();
  });
  const text = await nitroctl(daemon.path, ["events"]);
  assert.deepEqual([text.code, text.stdout, text.stderr], [
    0,
    "STARTING db\nSTARTING db\nSTARTING db\n",
    "",
  ]);
  const json = await nitroctl(daemon.path, ["events", "--json"]);
  assert.deepEqual(
    json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)),
    sent,
  );
});

Deno.test("-v: up prints the first announcement of each, as C's; failed to restart", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op === "status") return reply.ok({ details: [] });
    const announce = (name: string, state: string, notice: string | null) =>
      reply.send({ event: { name, state, notice, pid: null, time: 0 } });
    if (request.op === "up") {
      await announce("a", "STARTING", null);
      await announce("a", "STARTING", "STARTING");
      await announce("b", "SETUP", "SETUP");
      await announce("a", "STARTING", "STARTING");
      return reply.ok({
        results: [
          { name: "a", state: "STARTING", ok: true },
          { name: "b", state: "SETUP", ok: true },
        ],
      });
    }
    return reply.ok({ results: [{ name: "a", state: "FATAL", ok: false }] });
  });
  const up = await nitroctl(daemon.path, ["-v", "up", "a", "b"]);
  assert.deepEqual([up.code, up.stdout], [0, "STARTING a\nSETUP b\n"]);
  assert.equal("verbose" in daemon.ops("up")[0], true);
  const restart = await nitroctl(daemon.path, ["restart", "a"]);
  assert.deepEqual([restart.code, restart.stderr], [
    1,
    "nitroctl: failed to restart 'a'\n",
  ]);
});

Deno.test("events --json prints one ServiceEvent per line", async () => {
  await using daemon = await FakeDaemon.start(async (request, reply) => {
    if (request.op !== "events") return;
    await reply.event("db", "UP", 10);
    await reply.event("db", "SHUTDOWN", 10);
    reply.hangup();
  });
  const run = await nitroctl(daemon.path, ["events", "--json"]);
  assert.equal(run.code, 0);
  assert.deepEqual(run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)), [
    event("db", "UP", 10),
    event("db", "SHUTDOWN", 10),
  ]);
  assert.equal("replay" in daemon.ops("events")[0], false);
});

Deno.test("SERVICE paths become absolute paths with $NITRO_SERVICE as hint", async () => {
  // Paths are the daemon's to map to services: answer ok, whatever they are.
  await using daemon = await FakeDaemon.start((_, reply) =>
    reply.ok({ results: [], pids: { srv: 7 } })
  );
  const tree = await Deno.makeTempDir({ prefix: "nitro-dir-" });
  try {
    const dir = Deno.realPathSync(tree);
    await Deno.mkdir(`${dir}/srv/getty@`, { recursive: true });
    await Deno.mkdir(`${dir}/srv/web`);
    await Deno.symlink(`${dir}/srv/getty@`, `${dir}/link`);
    const env = { NITRO_SERVICE: "getty@tty1" };
    // In a symlink, $PWD not set to it: the working directory is the
    // physical one, so `.` is getty@ and `..` is srv.
    const cwd = `${dir}/link`;
    const runs = await Promise.all([
      nitroctl(daemon.path, ["ready", "."], { cwd, env }),
      nitroctl(daemon.path, ["down", "../web", "plain"], { cwd, env }),
      nitroctl(daemon.path, ["up", "plain"], { cwd, env }),
      nitroctl(daemon.path, ["pidof", ".."], { cwd }),
    ]);
    runs.forEach((run) => assert.deepEqual([run.code, run.stderr], [0, ""]));
    const sent = daemon.requests.map(bare).sort((a, b) =>
      String(a.op).localeCompare(String(b.op))
    );
    assert.deepEqual(sent, [
      {
        op: "down",
        services: [`${dir}/srv/web`, "plain"],
        hint: "getty@tty1",
      },
      { op: "pidof", services: [`${dir}/srv`] },
      { op: "ready", services: [`${dir}/srv/getty@`], hint: "getty@tty1" },
      { op: "up", services: ["plain"] }, // names go as they are, no hint
    ]);

    // A path to nothing is C's no such service (the path made absolute
    // from the working directory, physical here: $PWD is not it), and
    // nitro is not asked.
    const before = daemon.connections;
    const ghost = await nitroctl(daemon.path, ["stop", "./ghost"], { cwd });
    assert.deepEqual([ghost.code, ghost.stderr], [
      111,
      `nitroctl: no such service: ${dir}/srv/getty@/ghost: No such file or directory\n`,
    ]);
    assert.equal(daemon.connections, before);
  } finally {
    await Deno.remove(tree, { recursive: true });
  }
});

Deno.test("halt, poweroff, reboot and init N act as sysvinit's", async () => {
  await using daemon = await FakeDaemon.start(basicHandler([]));
  const cases: Array<[string[], string]> = [
    [["--as=halt"], "shutdown"],
    [["--as=poweroff", "-f"], "shutdown"], // their options are ignored
    [["--as=reboot", "--force"], "reboot"],
    [["--as=init", "0"], "shutdown"],
    [["--as=init", "6"], "reboot"],
    [["--as=init", "q"], "rescan"],
    [["--as=nitroctl", "Reboot"], "reboot"],
  ];
  for (const [args, op] of cases) {
    daemon.requests.length = 0;
    const run = await nitroctl(daemon.path, args);
    assert.deepEqual([args, run.code, run.stderr], [args, 0, ""]);
    assert.deepEqual(daemon.requests.map(bare), [{ op }]);
  }
});

Deno.test("the invocation name is argv[0]'s basename unless --as= says", async () => {
  assert.deepEqual(await invocation(["-f"], () => "/sbin/halt"), {
    name: "halt",
    args: ["-f"],
  });
  assert.deepEqual(await invocation(["list"], () => "nitroctl"), {
    name: "nitroctl",
    args: ["list"],
  });
  let asked = false;
  const argv0 = () => {
    asked = true;
    return "/usr/bin/nitroctl";
  };
  assert.deepEqual(await invocation(["--as=init", "6"], argv0), {
    name: "init",
    args: ["6"],
  });
  assert.equal(asked, false);
  // Only the first argument counts: a later --as= is an unknown option.
  assert.deepEqual(await invocation(["list", "--as=halt"], argv0), {
    name: "nitroctl",
    args: ["list", "--as=halt"],
  });
  // Under `deno run` (as in this test), argv[0] is deno, meaning nitroctl.
  assert.equal((await invocation([])).name, "nitroctl");
});

Deno.test("status prints one block per service; --json the same fields", async () => {
  const details = [
    detail(TABLE[0], {
      lastExit: "exited 1",
      restarts: 3,
      logger: "LOG",
      readiness: "manual",
    }),
    detail(TABLE[1], { uptime: 3725, readiness: 4 }),
    detail(status("web", "FATAL", null, 0, 9), {
      reason: "setup exited 111",
      lastExit: "killed by SIGTERM",
    }),
  ];
  await using daemon = await FakeDaemon.start(basicHandler(TABLE, details));
  const text = await nitroctl(daemon.path, ["status"]);
  assert.deepEqual([text.code, text.stderr], [0, ""]);
  assert.equal(
    text.stdout,
    [
      "cron",
      "  state:     DOWN for 40s",
      "  pid:       -",
      "  uptime:    -",
      "  last exit: exited 1",
      "  restarts:  3",
      "  logger:    LOG",
      "  readiness: by hand: nitroctl ready (notification-fd 0)",
      "",
      "db",
      "  state:     UP for 5s",
      "  pid:       10",
      "  uptime:    1h 02m 05s",
      "  last exit: none yet",
      "  restarts:  0",
      "  logger:    none (nitro's output)",
      "  readiness: notification-fd 4",
      "",
      "web",
      "  state:     FATAL for 9s",
      "  pid:       -",
      "  uptime:    -",
      "  last exit: killed by SIGTERM",
      "  restarts:  0",
      "  logger:    none (nitro's output)",
      "  reason:    setup exited 111",
      "",
    ].join("\n"),
  );
  const json = await nitroctl(daemon.path, ["--json", "status", "web", "db"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), [details[1], details[2]]);
  assert.deepEqual(daemon.ops("status").map(bare), [
    { op: "status" },
    { op: "status", services: ["web", "db"] },
  ]);
});

Deno.test("metrics: every line is valid exposition syntax, names escaped", async () => {
  const odd = 'we"b\\x';
  const table = [status(odd, "UP", 42, 0, 7), status("db", "FATAL", null, 9)];
  const details = [
    detail(table[0], { restarts: 2 }),
    detail(table[1], { lastExit: "killed by SIGKILL" }),
  ];
  await using daemon = await FakeDaemon.start(basicHandler(table, details));
  const run = await nitroctl(daemon.path, ["metrics"]);
  assert.deepEqual([run.code, run.stderr], [0, ""]);
  const { samples, type } = parseExposition(run.stdout);
  const value = (name: string, labels: Record<string, string>) =>
    samples.find((s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  // The state is a label: 1 for the state it is in, 0 for the others.
  assert.equal(value("nitro_service_state", { service: odd, state: "UP" }), 1);
  assert.equal(
    value("nitro_service_state", { service: odd, state: "DOWN" }),
    0,
  );
  assert.equal(
    samples.filter((s) => s.name === "nitro_service_state" && s.value === 1)
      .map((s) => `${s.labels.service} ${s.labels.state}`).join(","),
    `${odd} UP,db FATAL`,
  );
  assert.equal(value("nitro_service_uptime_seconds", { service: odd }), 7);
  assert.equal(value("nitro_service_uptime_seconds", { service: "db" }), 0);
  assert.equal(value("nitro_service_restarts_total", { service: odd }), 2);
  assert.equal(value("nitro_service_last_exit_status", { service: "db" }), 9);
  assert.equal(type.get("nitro_service_restarts_total"), "counter");
  // nitro's own figures.
  assert.equal(value("nitro_reaps_total", {}), 7);
  assert.equal(value("nitro_service_reaps_total", {}), 5);
  assert.equal(value("nitro_services", {}), 2);
  assert.equal(value("nitro_open_fds", {}), 11);
  assert.equal(value("nitro_resident_memory_bytes", {}), 40_000_000);
  assert.equal(value("nitro_info", { version: "0.1.0-fake" }), 1);
  // The raw text escapes the quote and the backslash.
  assert.ok(run.stdout.includes('service="we\\"b\\\\x"'));
  assert.deepEqual(
    daemon.requests.map(bare).sort((a, b) =>
      String(a.op).localeCompare(String(b.op))
    ),
    [{ op: "info" }, { op: "status" }],
  );
});

Deno.test("the exposition reader refuses what a scraper would", () => {
  const ok = "# HELP a x\n# TYPE a gauge\na 1\n";
  assert.equal(parseExposition(ok).samples.length, 1);
  const bad = [
    "# HELP a x\n# TYPE a gauge\na 1", // no final newline
    "a 1\n", // no HELP/TYPE
    "# HELP a x\n# TYPE a gauge\na 1 1700000000\n", // timestamp
    '# HELP a x\n# TYPE a gauge\na{s="x"y"} 1\n', // unescaped quote
    '# HELP a x\n# TYPE a gauge\na{s="\\q"} 1\n', // bad escape
    "# HELP a x\n# TYPE a gauge\na one\n", // bad value
    "# HELP a x\n# TYPE a gauge\na 1\na 2\n", // same series twice
    "# HELP a x\n# TYPE a meter\na 1\n", // unknown type
    '# HELP a x\n# TYPE a gauge\n# HELP b y\n# TYPE b gauge\na{x="1"} 1\nb 1\na 1\n',
  ];
  for (const text of bad) {
    assert.throws(() => parseExposition(text), Error, text);
  }
});

Deno.test("unknown names among others: the rest is done, each reported, exit 111", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const [start, pidof, list, json] = await Promise.all([
    nitroctl(daemon.path, ["start", "db", "nosuch", "web"]),
    nitroctl(daemon.path, ["pidof", "web", "nosuch", "db", "ghost"]),
    nitroctl(daemon.path, ["list", "nosuch", "db"]),
    nitroctl(daemon.path, ["--json", "up", "nosuch", "cron"]),
  ]);
  assert.deepEqual([start.code, start.stdout, start.stderr], [
    111,
    "",
    "nitroctl: no such service 'nosuch'\n",
  ]);
  assert.deepEqual([pidof.code, pidof.stdout, pidof.stderr], [
    111,
    "11\n10\n",
    "nitroctl: no such service 'nosuch'\nnitroctl: no such service 'ghost'\n",
  ]);
  assert.deepEqual([list.code, list.stdout], [
    111,
    "UP db (pid 10) (wstatus 0) 5s\n",
  ]);
  assert.deepEqual([json.code, JSON.parse(json.stdout)], [
    111,
    [{ name: "cron", state: "DOWN", ok: true }, {
      name: "nosuch",
      ok: false,
      error: {
        code: "no-such-service",
        message: "no such service",
        service: "nosuch",
      },
    }],
  ]);
  const starts = daemon.ops("up").filter((r) => "wait" in r);
  assert.deepEqual(starts.map(bare), [
    { op: "up", services: ["db", "nosuch", "web"], wait: "up" },
  ]);
});

Deno.test("a path to nothing among others: C's words, and nothing is sent", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "nitro-dir-" }),
  );
  try {
    const run = await nitroctl(daemon.path, ["down", "db", "./ghost", "web"], {
      cwd: dir,
    });
    assert.deepEqual([run.code, run.stderr], [
      111,
      `nitroctl: no such service: ${dir}/ghost: No such file or directory\n`,
    ]);
    assert.deepEqual(daemon.requests.map(bare), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a signal for a service without a process: C's no such service, exit 111", async () => {
  await using daemon = await FakeDaemon.start(basicHandler(TABLE));
  const [none, some, fine] = await Promise.all([
    nitroctl(daemon.path, ["hup", "cron"]),
    nitroctl(daemon.path, ["term", "db", "cron", "web"]),
    nitroctl(daemon.path, ["kill", "db"]),
  ]);
  assert.deepEqual([none.code, none.stdout, none.stderr], [
    111,
    "",
    "nitroctl: no such service 'cron': no process to signal\n",
  ]);
  assert.deepEqual([some.code, some.stderr], [
    111,
    "nitroctl: no such service 'cron': no process to signal\n",
  ]);
  assert.deepEqual([fine.code, fine.stderr], [0, ""]);
});

Deno.test("refused by a full nitro: the server's reason, never Broken pipe", async () => {
  // Like a full nitro: answer every connection with `busy` at once, close,
  // and never read the request (so writing it may fail with EPIPE).
  await using busy = await BusyServer.start("too many clients (64); try again");
  const sock = busy.sock;
  // A long request makes the write outlast the server's close.
  const many = Array.from({ length: 300 }, (_, i) => `s${i}`);
  const runs = await Promise.all([
    nitroctl(sock, ["list"]),
    nitroctl(sock, ["start", ...many]),
    nitroctl(sock, ["events"]),
  ]);
  for (const run of runs) {
    assert.deepEqual([run.code, run.stdout, run.stderr], [
      111,
      "",
      "nitroctl: too many clients (64); try again\n",
    ]);
  }
});
