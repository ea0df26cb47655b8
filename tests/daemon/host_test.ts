/**
 * The real host: its environment (PATH filled in when missing), its clock
 * and timers, a real process started, tracked and its exit status handed
 * over, no log pipes without a runtime directory; `guard` keeps nitro going
 * past its own bugs and says them with their stack.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Console,
  DEFAULT_PATH,
  guard,
  realHost,
} from "../../src/daemon/host.ts";
import { exitedStatus } from "../../src/core/exit_status.ts";

/** A console that keeps what it is told. */
function lines(): Console & { said: string[] } {
  const said: string[] = [];
  return {
    said,
    say: (line) => said.push(line),
    write: (text) => said.push(text),
    flush: () => Promise.resolve(true),
  };
}

Deno.test("realHost: the given environment, PATH filled in only when missing", () => {
  const bare = realHost({ runtime: null, console: lines(), env: { A: "1" } });
  assert.deepEqual(bare.env, { A: "1", PATH: DEFAULT_PATH });
  const own = realHost({
    runtime: null,
    console: lines(),
    env: { PATH: "/opt/bin" },
  });
  assert.equal(own.env.PATH, "/opt/bin");
});

Deno.test("realHost: the clock starts near 0; a timer fires, a cancelled one does not", async () => {
  const host = realHost({ runtime: null, console: lines(), env: {} });
  assert.ok(host.clock.now() >= 0);
  const fired: string[] = [];
  const cancel = host.clock.after(0, () => fired.push("cancelled"));
  cancel();
  await new Promise<void>((resolve) =>
    host.clock.after(1, () => {
      fired.push("kept");
      resolve();
    })
  );
  assert.deepEqual(fired, ["kept"]);
});

Deno.test("realHost: a started process is ours until it exits; its status is handed over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nitro-host-" });
  try {
    const script = join(dir, "run");
    Deno.writeTextFileSync(script, "#!/bin/sh\nexit 7\n");
    Deno.chmodSync(script, 0o755);
    const host = realHost({ runtime: null, console: lines(), env: {} });
    const exited = Promise.withResolvers<number>();
    const pid = host.processes.start({
      command: script,
      args: [],
      cwd: dir,
      env: host.env as Record<string, string>,
      stdin: { kind: "null" },
      stdout: { kind: "null" },
      stderrInherit: false,
      notifyFd: null,
    }, exited.resolve);
    assert.equal(host.processes.isOurs(pid), true);
    assert.equal(await exited.promise, exitedStatus(7));
    assert.equal(host.processes.isOurs(pid), false);
    assert.equal(host.processes.signal(pid, "SIGTERM"), false, "gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realHost: without a runtime directory there are no log pipes", () => {
  const host = realHost({ runtime: null, console: lines(), env: {} });
  assert.equal(host.pipes.has("LOG"), false);
  assert.throws(() => host.pipes.ensure("LOG"), /no runtime directory/);
});

Deno.test("guard: a bug is said with its stack and the caller goes on", () => {
  const console = lines();
  let after = false;
  guard(console, "handling a request", () => {
    throw new Error("oops");
  });
  after = true;
  assert.equal(after, true);
  assert.equal(console.said.length, 1);
  assert.match(
    console.said[0],
    /^- nitro: internal error \(handling a request\): Error: oops\n\s+at /,
  );
  guard(console, "fine", () => {});
  assert.equal(console.said.length, 1, "nothing said when all went well");
});
