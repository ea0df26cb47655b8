/**
 * An installed nitro never asks the network whether a newer Deno exists.
 *
 * `deno run` does at each start unless `DENO_NO_UPDATE_CHECK` is set
 * (`RUN_ENV` of ci/permissions.ts, exported by every launcher). The test
 * points Deno's HTTPS proxy at a local listener: a plain `deno run` of
 * nitro knocks there (the control, which proves the listener would see the
 * check), the installed launcher does not.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { RUN_ENV } from "../../ci/permissions.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import { killChildren } from "../helpers/daemon.ts";
import { answers, delay, eventually, nitroArgs } from "../helpers/nitro.ts";

const ROOT = REPO_ROOT.replace(/\/$/, "");

/** A local HTTP proxy that records the first line of each request. */
function recordingProxy(): {
  url: string;
  requests: string[];
  next: () => Promise<void>;
  close: () => void;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  let wake = () => {};
  (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(512);
      const n = await conn.read(buf).catch(() => null);
      requests.push(
        new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0],
      );
      conn.close();
      wake();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    next: () => new Promise((resolve) => wake = resolve),
    close: () => listener.close(),
  };
}

Deno.test("installed nitro asks no network for a newer Deno; plain deno run does", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-update-" });
  const proxy = recordingProxy();
  const started: Deno.ChildProcess[] = [];
  try {
    const dir = join(tmp, "svc"); // No services: nitro alone.
    await Deno.mkdir(dir);
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: tmp,
      // Deno checks at most daily, remembering in DENO_DIR: a fresh one.
      DENO_DIR: join(tmp, "deno-dir"),
    };
    const inst = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "install", "--root", join(tmp, "root")],
      env,
      clearEnv: true,
      cwd: ROOT,
      stdin: "null",
    }).output();
    assert.equal(inst.code, 0, new TextDecoder().decode(inst.stderr));

    const viaProxy = (sock: string) => ({
      ...env,
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      NITRO_SOCK: sock,
    });
    const start = (argv: string[], sock: string) => {
      const child = new Deno.Command(argv[0], {
        args: argv.slice(1),
        env: viaProxy(sock),
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      started.push(child);
      return child;
    };

    // Control: without the launcher's environment, Deno knocks.
    const before = proxy.requests.length;
    const knocked = proxy.next();
    start([Deno.execPath(), ...nitroArgs([dir])], join(tmp, "control.sock"));
    const timeout = delay(30_000).then(() => {
      throw new Error("plain deno run sent no request through the proxy");
    });
    await Promise.race([knocked, timeout]);
    assert.match(proxy.requests[before], /^CONNECT dl\.deno\.land:443 /);

    // The launcher: its Deno runs with the variable that turns the check
    // off, and over its whole life (started, answering, shut down by
    // SIGTERM) no request reaches the proxy. The end of the process bounds
    // the observation, not a clock.
    const quiet = proxy.requests.length;
    const sock = join(tmp, "nitro.sock");
    const nitro = start([join(tmp, "root", "bin", "nitro"), dir], sock);
    await eventually(() => answers(sock), 30_000, "the launcher's socket");
    const environ = Deno.readTextFileSync(`/proc/${nitro.pid}/environ`)
      .split("\0");
    for (const [name, value] of Object.entries(RUN_ENV)) {
      assert.ok(environ.includes(`${name}=${value}`), `launcher sets ${name}`);
    }
    nitro.kill("SIGTERM");
    assert.equal((await nitro.status).code, 0, "nitro ran until told to stop");
    assert.deepEqual(proxy.requests.slice(quiet), []);
  } finally {
    await killChildren(started);
    proxy.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
