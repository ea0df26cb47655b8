/**
 * mod.ts's client against a real C nitro, in a script run with exactly the
 * permissions mod.ts documents for it; a reply socket left over with our
 * pid is replaced. And the SPAT codec on its own.
 */

import assert from "node:assert/strict";
import {
  decodeReply,
  encodeRequest,
  records,
  TAG,
} from "../../src/spat/codec.ts";
import { formatCInfo, formatCList } from "../../src/spat/format.ts";
import { isDatagramSocket } from "../../src/spat/transport.ts";
import { cNitroOrSkip, RunningCNitro } from "./spat_helpers.ts";

const READY = {
  run: "#!/bin/sh\necho >&3\nexec sleep 1000 3>&-\n",
  "notification-fd": "3\n",
};

/** Run `body` (with NitroClient and NitroError in scope) as a script. */
async function script(
  body: string,
  flags: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "spat-client-" });
  try {
    const file = `${dir}/script.ts`;
    const mod = JSON.stringify(new URL("../../mod.ts", import.meta.url).href);
    await Deno.writeTextFile(
      file,
      `import { NitroClient, NitroError } from ${mod};\n${body}`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...flags, file],
      env: { ...env, DENO_NO_UPDATE_CHECK: "1" },
      clearEnv: true,
      stdin: "null",
    }).output();
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The permissions mod.ts documents for a script talking to C nitro. */
function documented(sock: string, notify: string): string[] {
  return [
    "--unstable-net",
    "--allow-env=NITRO_SOCK",
    `--allow-read=${sock},${notify}`,
    `--allow-write=${sock},${notify}`,
    "--allow-net",
  ];
}

Deno.test("mod.ts's connect() against C nitro: one client API, server 'c'", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, {
    a: READY,
    d: { ...READY, down: "" },
    f: { setup: "#!/bin/sh\nexit 111\n", run: "#!/bin/sh\nexec sleep 1\n" },
  });
  await nitro.cctl(["start", "a"]);
  const body = `
    const out: Record<string, unknown> = {};
    using nitro = await NitroClient.connect();
    out.server = nitro.server;
    out.list = (await nitro.list()).map((s) => [s.name, s.state, s.pid !== null]);
    out.info = await nitro.info();
    out.start = await nitro.start("d");
    out.pidof = await nitro.pidof(["a", "d"]);
    try {
      await nitro.start("f");
    } catch (e) {
      if (!(e instanceof NitroError)) throw e;
      out.fatal = [e.code, e.service, e.message];
    }
    try {
      await nitro.up("nope");
    } catch (e) {
      if (!(e instanceof NitroError)) throw e;
      out.nope = [e.code, e.service];
    }
    const seen: string[] = [];
    await nitro.restart("a", {
      wait: "up",
      verbose: true,
      onEvent: (e) => seen.push(e.state + " " + e.name),
    });
    out.verbose = seen;
    out.stop = await nitro.stop("d");
    out.signal = await nitro.signal("a", "SIGCONT");
    try {
      await nitro.signal("d", "SIGHUP");
    } catch (e) {
      if (!(e instanceof NitroError)) throw e;
      out.noProcess = [e.code, e.message];
    }
    out.status = (await nitro.status("f"))[0];
    // events: follow a restart, then stop with an AbortSignal.
    const stop = new AbortController();
    const events: string[] = [];
    const following = (async () => {
      for await (const e of nitro.events({ signal: stop.signal })) {
        events.push(e.state + " " + e.name);
        if (e.state === "UP") stop.abort();
      }
    })().catch((e) => { if (!stop.signal.aborted) throw e; });
    while (![...Deno.readDirSync(${JSON.stringify(nitro.notifyDir)})]
      .some((e) => e.name.startsWith("ALL,"))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await nitro.restart("a");
    await following;
    out.events = events;
    console.log(JSON.stringify(out));
  `;
  const r = await script(
    body,
    documented(nitro.sock, nitro.notifyDir),
    { NITRO_SOCK: nitro.sock },
  );
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  const out = JSON.parse(r.stdout);
  assert.equal(out.server, "c");
  assert.deepEqual(out.list, [
    ["a", "UP", true],
    ["d", "DOWN", false],
    ["f", "FATAL", false],
  ]);
  assert.equal(out.info.pid, nitro.child.pid);
  assert.equal(out.info.services, 3);
  assert.equal(out.info.version, null);
  assert.deepEqual(out.start, [{ name: "d", state: "UP", ok: true }]);
  assert.deepEqual(Object.keys(out.pidof), ["a", "d"]);
  assert.equal(typeof out.pidof.a, "number");
  assert.deepEqual(out.fatal, ["failed", "f", "f ended FATAL"]);
  assert.deepEqual(out.nope, ["no-such-service", "nope"]);
  assert.deepEqual(out.verbose, ["RESTART a", "DOWN a", "STARTING a", "UP a"]);
  assert.deepEqual(out.stop, [{ name: "d", state: "DOWN", ok: true }]);
  assert.deepEqual(out.signal, [{ name: "a", state: "UP", ok: true }]);
  assert.deepEqual(out.noProcess, ["failed", "d: no process to signal"]);
  assert.equal(out.status.state, "FATAL");
  assert.equal(out.status.restarts, null);
  assert.equal(out.status.reason, null);
  assert.deepEqual(out.events, ["RESTART a", "DOWN a", "STARTING a", "UP a"]);
  assert.deepEqual(nitro.leftovers(), []);
});

Deno.test("without --unstable-net, connect() to C nitro says what is missing", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, { a: READY });
  const r = await script(
    `try { using n = await NitroClient.connect(); await n.list(); }
     catch (e) { console.log(e.code, e.message); }`,
    documented(nitro.sock, nitro.notifyDir).slice(1),
    { NITRO_SOCK: nitro.sock },
  );
  assert.equal(
    r.stdout,
    "permission talking to C nitro needs Deno's --unstable-net (datagram sockets)\n",
  );
});

Deno.test("a reply socket left over with our pid is replaced and removed", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, { a: READY });
  const notify = JSON.stringify(nitro.notifyDir);
  // A killed client with our pid left ",PID_0", the name of our first request.
  const r = await script(
    `const stale = ${notify} + "/," + Deno.pid + "_0";
     (Deno as any).listenDatagram({ transport: "unixpacket", path: stale }).close();
     console.log(Deno.statSync(stale).isSocket);
     using nitro = await NitroClient.connect();
     console.log((await nitro.list()).map((s) => s.name).join());
     console.log([...Deno.readDirSync(${notify})].length);`,
    documented(nitro.sock, nitro.notifyDir),
    { NITRO_SOCK: nitro.sock },
  );
  assert.deepEqual([r.code, r.stderr, r.stdout], [0, "", "true\na\n0\n"]);
});

Deno.test("SPAT codec: requests, records, frames, garbage", () => {
  assert.deepEqual([...encodeRequest(TAG.list)], [0, 0, 124]);
  assert.deepEqual([...encodeRequest(TAG.signal, "ab", 15)], [
    3,
    0,
    129,
    15,
    97,
    98,
  ]);
  assert.equal(records(new Uint8Array([5, 0, 1, 1])), null);
  assert.deepEqual(decodeReply(new Uint8Array([0, 0, 80])), { kind: "ok" });
  assert.deepEqual(decodeReply(new Uint8Array([0, 0, 81])), {
    kind: "no-such-service",
  });
  assert.deepEqual(decodeReply(new Uint8Array([1, 0, 8, 120])), {
    kind: "state",
    state: "FATAL",
    name: "x",
  });
  // Rubbish makes no sense: null, never an exception.
  for (
    const bytes of [[], [1], [0, 0, 0], [0, 0, 4], [0, 0, 200], [2, 0, 102, 1]]
  ) {
    assert.equal(decodeReply(new Uint8Array(bytes)), null, String(bytes));
  }
  const service = [
    0xff,
    0xff,
    100,
    3,
    0,
    101,
    119,
    101,
    98, // "web" (C nitro adds a NUL; either reads)
    1,
    0,
    102,
    4,
    4,
    0,
    103,
    42,
    0,
    0,
    0,
    4,
    0,
    104,
    0xff,
    0xff,
    0xff,
    0xff,
    4,
    0,
    105,
    9,
    0,
    0,
    0,
    0xfe,
    0xff,
    100,
  ];
  const list = decodeReply(new Uint8Array(service));
  assert.deepEqual(list, {
    kind: "list",
    services: [{ name: "web", state: "UP", pid: 42, wstatus: -1, uptime: 9 }],
  });
  assert.deepEqual(formatCList(list.kind === "list" ? list.services : []), [
    "UP web (pid 42) (wstatus -1) 9s",
  ]);
  assert.deepEqual(formatCInfo([[106, 5], [107, 2], [99, 1]]), [
    "nitro_pid 5",
    "max_service 2",
    "# unknown tag 0x63",
  ]);
  assert.ok(
    isDatagramSocket(
      new Error("x", {
        cause: new Error("Protocol wrong type for socket (os error 91)"),
      }),
    ),
  );
  assert.ok(!isDatagramSocket(new Error("Connection refused (os error 111)")));
});
