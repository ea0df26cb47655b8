/**
 * `deno task demo` end to end: the demo prints how to reach it, in commands
 * that work with no `deno` on PATH; its services come up and answer those
 * very commands, and SIGTERM to the demo (what it does on Ctrl-C too) shuts
 * nitro down cleanly and removes the temporary directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { banner, installedNitroctl } from "../../ci/demo.ts";
import { LAUNCHER_MARK } from "../../ci/build.ts";
import { descendantsOf, eventually } from "../helpers/nitro.ts";
import { pathWithoutDeno } from "../helpers/no_deno.ts";
import { procStat, REPO_ROOT as ROOT } from "../helpers/common.ts";

/** Start time of a process, or null if gone: tells a reused pid. */
function startTime(pid: number): number | null {
  return procStat(pid)?.starttime ?? null;
}

Deno.test("demo: the banner uses the user's installed nitroctl, only ours", () => {
  const files: Record<string, string> = {
    "/a/nitroctl": "#!/bin/sh\nexec something else\n",
    "/b/nitroctl":
      `#!/bin/sh\n# nitroctl: ${LAUNCHER_MARK}\nexec /d/deno run\n`,
  };
  const read = (f: string) => files[f] ?? null;
  assert.equal(installedNitroctl("/x:/b:/a", read), "/b/nitroctl");
  // C nitro's nitroctl first on PATH: that is what the user's shell runs.
  assert.equal(installedNitroctl("/a:/b", read), null);
  assert.equal(installedNitroctl("rel:/x", read), null);

  const mine = banner({ sock: "/t/s", bin: "/t/bin", installed: null });
  assert.ok(mine.includes("  export NITRO_SOCK=/t/s"));
  assert.ok(mine.includes(`  export PATH=/t/bin:"$PATH"`));
  const theirs = banner({ sock: "/t/s", bin: "/t/bin", installed: "/b/x" });
  assert.ok(!theirs.some((l) => l.includes("export PATH")));
  for (const lines of [mine, theirs]) {
    const text = lines.join("\n");
    assert.doesNotMatch(text, /deno task/);
    assert.match(text, /^ {2}nitroctl plot > boot\.svg/m);
    assert.match(text, /^ {2}nitroctl status /m);
    assert.match(text, /^ {2}nitroctl list/m);
  }
});

Deno.test("demo: services come up, its banner's commands reach them, SIGTERM ends it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-demo-test-" });
  const path = await pathWithoutDeno(join(tmp, "path"));
  // HOME kept: Deno's module cache lives there.
  const env = { PATH: path, HOME: Deno.env.get("HOME") ?? tmp };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "ci/demo.ts"],
    cwd: ROOT,
    env,
    clearEnv: true,
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
  let leftovers: [number, number | null][] = [];
  try {
    await eventually(() => /^ {2}nitroctl list/m.test(out));
    const setup = out.split("\n").filter((l) => l.startsWith("  export "));
    const sock = setup[0].match(/^ {2}export NITRO_SOCK=(\S+)$/)![1];
    await eventually(
      () => out.includes("db: ready") && out.includes("hello, world!"),
      15_000,
      "demo services",
    );
    // LOG stamps every line with the time.
    assert.match(out, /^\d\d:\d\d:\d\d web: listening/m);
    // The banner's commands, as a user pastes them into a shell that has
    // no deno on PATH.
    const list = await new Deno.Command("/bin/sh", {
      args: ["-c", [...setup, "nitroctl list"].join("\n")],
      env,
      clearEnv: true,
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
    // Bounded: a nitro that cannot shut down must fail the test, not hang it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<null>((resolve) =>
        timer = setTimeout(() => resolve(null), 30_000)
      ),
    ]);
    clearTimeout(timer);
    assert.ok(
      status !== null,
      `the demo did not end on SIGTERM:\n${out}${err}`,
    );
    await reading;
    assert.equal(status.code, 0, err);
    assert.match(out, /SYS\/finish: going down for shutdown/);
    assert.match(out, /web: SIGTERM/);
    assert.match(out, /nitro exited with status 0/);
    const demoDir = sock.slice(0, sock.lastIndexOf("/"));
    await assert.rejects(() => Deno.stat(demoDir), Deno.errors.NotFound);
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
    await Deno.remove(tmp, { recursive: true });
  }
});
