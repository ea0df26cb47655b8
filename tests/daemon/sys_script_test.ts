/**
 * Every SYS script starts through `runSysScript`: `DIR/SYS/<script>` with
 * its arguments, run in DIR/SYS with NITRO_SERVICE=SYS; a time limit kills
 * its process group on the virtual clock, an exit cancels the limit; a
 * script that cannot start is reported and ends as "no status".
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  runSysScript,
  type SysScriptRequest,
} from "../../src/daemon/sys_script.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";
import { exitedStatus } from "../../src/core/exit_status.ts";

function request(over: Partial<SysScriptRequest> = {}): SysScriptRequest {
  return {
    dir: ROOT,
    script: "finish",
    args: ["0", "0", "shutdown"],
    limitMs: null,
    stdout: { kind: "inherit" },
    stderrInherit: true,
    ...over,
  };
}

Deno.test("runSysScript: starts DIR/SYS/script with its args, cwd and env", () => {
  const host = new FakeHost();
  host.tree.sys = { finish: true };
  const ended: (number | null)[] = [];
  const started: number[] = [];
  runSysScript(
    host,
    request({ started: (pid) => started.push(pid) }),
    (w) => ended.push(w),
  );
  const p = host.processes.of("SYS/finish");
  assert.equal(p.req.command, `${ROOT}/SYS/finish`);
  assert.deepEqual(p.req.args, ["0", "0", "shutdown"]);
  assert.equal(p.req.cwd, `${ROOT}/SYS`);
  assert.deepEqual(p.req.env, { PATH: "/bin", NITRO_SERVICE: "SYS" });
  assert.deepEqual(p.req.stdin, { kind: "null" });
  assert.deepEqual(p.req.stdout, { kind: "inherit" });
  assert.deepEqual(started, [p.pid]);
  assert.deepEqual(ended, []);
  host.processes.exit(p.pid, { code: 0 });
  assert.deepEqual(ended, [exitedStatus(0)]);
});

Deno.test("runSysScript: over its limit, its process group is killed", () => {
  const host = new FakeHost();
  host.tree.sys = { final: true };
  const ended: (number | null)[] = [];
  runSysScript(
    host,
    request({ script: "final", limitMs: 7000 }),
    (w) => ended.push(w),
  );
  const p = host.processes.of("SYS/final");
  host.clock.advance(6999);
  assert.deepEqual(p.signals, []);
  host.clock.advance(1);
  assert.deepEqual(p.signals, ["-SIGKILL"]);
  assert.deepEqual(host.console.lines, [
    "- nitro: SYS/final ran over 7s, killing it",
  ]);
  host.clock.advance(0); // the death is seen after the call that caused it
  assert.equal(ended.length, 1);
  assert.equal(host.clock.pending, 0);
});

Deno.test("runSysScript: an exit in time cancels the limit", () => {
  const host = new FakeHost();
  host.tree.sys = { setup: true };
  const ended: (number | null)[] = [];
  runSysScript(
    host,
    request({ script: "setup", limitMs: 1000 }),
    (w) => ended.push(w),
  );
  assert.equal(host.clock.pending, 1);
  host.processes.exit(host.processes.of("SYS/setup").pid, { code: 1 });
  assert.deepEqual(ended, [exitedStatus(1)]);
  assert.equal(host.clock.pending, 0);
  host.clock.advance(5000);
  assert.deepEqual(host.processes.all[0].signals, []);
});

Deno.test("runSysScript: a script that cannot start is said and ends with null", () => {
  const host = new FakeHost();
  host.tree.sys = { fatal: true };
  host.processes.refuse.set("SYS/fatal", "exec format error");
  const ended: (number | null)[] = [];
  const started: number[] = [];
  runSysScript(
    host,
    request({
      script: "fatal",
      limitMs: 1000,
      started: (pid) => started.push(pid),
    }),
    (w) => ended.push(w),
  );
  assert.deepEqual(ended, [null]);
  assert.deepEqual(started, []);
  assert.equal(host.clock.pending, 0);
  assert.deepEqual(host.console.lines, [
    "- nitro: SYS/fatal: exec format error",
  ]);
});

Deno.test("runSysScript: the reason a script cannot start reaches the console escaped", () => {
  const host = new FakeHost();
  host.tree.sys = { setup: true };
  host.processes.refuse.set("SYS/setup", "bad interpreter: /bin/sh\r\x1b[2J");
  const ended: (number | null)[] = [];
  runSysScript(host, request({ script: "setup" }), (w) => ended.push(w));
  assert.deepEqual(ended, [null]);
  assert.deepEqual(host.console.lines, [
    "- nitro: SYS/setup: bad interpreter: /bin/sh\\r\\x1b[2J",
  ]);
});
