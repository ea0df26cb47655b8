/**
 * `deno task demo` end to end: the demo prints how to reach it, its services
 * come up and answer nitroctl, and SIGTERM to the demo (what it does on
 * Ctrl-C too) shuts nitro down cleanly and removes the temporary directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PERMISSIONS } from "../ci/permissions.ts";
import { descendantsOf, eventually } from "./helpers/nitro.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Start time of a process (field 22 of /proc/PID/stat), or null if gone. */
function startTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return null;
  }
}

Deno.test("demo: services come up, nitroctl reaches them, SIGTERM ends it", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "ci/demo.ts"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const reading = Promise.all([
    (async () => {
      for await (const c of child.stdout) {
        out += dec.decode(c, { stream: true });
      }
    })(),
    (async () => {
      for await (const c of child.stderr) {
        err += dec.decode(c, { stream: true });
      }
    })(),
  ]);
  // Processes of the demo, with their start times: killed at the end only
  // if still the same process (a pid may be reused once they are gone).
  let leftovers: [number, string | null][] = [];
  try {
    await eventually(() => /NITRO_SOCK=(\S+) deno task nitroctl/.test(out));
    const sock = out.match(/NITRO_SOCK=(\S+) deno task nitroctl/)![1];
    assert.ok(out.includes(`deno run ${PERMISSIONS.nitroctl.join(" ")} `));
    await eventually(
      () => out.includes("db: ready") && out.includes("hello, world!"),
      15_000,
      "demo services",
    );
    // LOG stamps every line with the time.
    assert.match(out, /^\d\d:\d\d:\d\d web: listening/m);
    const list = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS.nitroctl, "cli/nitroctl.ts", "list"],
      cwd: ROOT,
      env: { NITRO_SOCK: sock },
      stdin: "null",
    }).output();
    const text = dec.decode(list.stdout);
    assert.equal(list.code, 0, dec.decode(list.stderr));
    assert.match(text, /^ONESHOT migrate/m);
    assert.match(text, /^DOWN backup/m);
    assert.match(text, /^(STARTING|UP) greeter@world/m);
    assert.match(text, /^UP db/m);

    leftovers = descendantsOf(child.pid).map((p) => [p, startTime(p)]);
    child.kill("SIGTERM");
    const status = await child.status;
    await reading;
    assert.equal(status.code, 0, err);
    assert.match(out, /SYS\/finish: going down for shutdown/);
    assert.match(out, /web: SIGTERM/);
    assert.match(out, /nitro exited with status 0/);
    const tmp = sock.slice(0, sock.lastIndexOf("/"));
    await assert.rejects(() => Deno.stat(tmp), Deno.errors.NotFound);
  } finally {
    if (leftovers.length === 0) {
      leftovers = descendantsOf(child.pid).map((p) => [p, startTime(p)]);
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // Ended.
    }
    await child.status;
    await reading;
    for (const [pid, started] of leftovers) {
      if (started === null || startTime(pid) !== started) continue;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone, as it should be.
      }
    }
  }
});
