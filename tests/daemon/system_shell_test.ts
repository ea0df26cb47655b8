/**
 * The system shell's own duties on a fake host with a virtual clock: an
 * end that overtakes SYS/setup, a SYS/setup that cannot start, pid 1's
 * duties failing without stopping the end, the last words flushed before
 * nitro exits or execs, SYS/final killed within its time, and a fatal
 * problem escaped. Also tested: tests/daemon/supervisor_test.ts (boot, the
 * end in order, reboots, pid 1's sweep, SYS/final's limit, fatal),
 * tests/daemon/notify_sequence_test.ts (SYS as C nitro announces it),
 * tests/daemon/sys_script_test.ts (how a SYS script runs),
 * tests/e2e/pid1_*_test.ts (as a real pid 1).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type EndMode,
  type Role,
  SYSTEM_SCRIPT_LIMIT_MS,
} from "../../src/core/system.ts";
import { signaledStatus } from "../../src/core/exit_status.ts";
import { UP_AFTER_MS } from "../../src/core/service.ts";
import {
  LAST_WORDS_MS,
  type Pid1Duties,
  SystemShell,
} from "../../src/daemon/system_shell.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

/** What pid 1 was asked to do, in order; each duty may be made to fail. */
function fakePid1(
  host: FakeHost,
  fail: { killAll?: boolean; power?: boolean },
) {
  const calls: string[] = [];
  const duties: Pid1Duties = {
    killAll: () => {
      calls.push("killAll");
      return fail.killAll
        ? Promise.reject(new Error("kill(-1) refused"))
        : Promise.resolve();
    },
    power: (mode: EndMode) => {
      calls.push(`power ${mode}`);
      return fail.power
        ? Promise.reject(new Error("reboot(2) refused"))
        : Promise.resolve();
    },
    reincarnate: (path: string) => {
      calls.push(`reincarnate ${path}`);
      throw new Error("exec refused");
    },
  };
  // The console's last flush, as a call among the others.
  const flush = host.console.flush.bind(host.console);
  host.console.flush = () => {
    calls.push("flush");
    return flush();
  };
  return { calls, duties };
}

/** A shell on a fake host set up by `setup`; `boot()` runs it. */
function shell(
  setup: (host: FakeHost) => void,
  opts: {
    role?: Role;
    pid1?: { killAll?: boolean; power?: boolean };
  } = {},
) {
  const host = new FakeHost();
  setup(host);
  const pid1 = opts.pid1 ? fakePid1(host, opts.pid1) : null;
  const sh = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: opts.role ?? "process",
    pid1: pid1?.duties,
    closeControl: () => Promise.resolve(),
  });
  const result = { code: null as number | null };
  return {
    host,
    sh,
    pid1,
    result,
    boot() {
      sh.run().then((code) => result.code = code);
      return this;
    },
    lines: () => host.console.lines,
  };
}

/** Let promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("an end during SYS/setup stops its process group; its exit then says nothing", async () => {
  const n = shell((h) => {
    h.tree.sys = { setup: true };
    h.tree.add("web");
  }).boot();
  const setup = n.host.processes.of("SYS/setup");
  n.sh.end("shutdown");
  assert.deepEqual(setup.signals, ["-SIGTERM"]);
  n.host.clock.advance(0); // it dies of it
  await settle();
  assert.equal(n.result.code, 0);
  assert.ok(!n.lines().some((l) => l.includes("SYS/setup finished")));
  // The services it held back never started.
  assert.deepEqual(n.host.processes.started, ["SYS/setup"]);
});

Deno.test("a SYS/setup that cannot start is status 127 << 8; the services start anyway", () => {
  const n = shell((h) => {
    h.tree.sys = { setup: true };
    h.tree.add("web");
    h.processes.refuse.set("SYS/setup", "bad interpreter");
  }).boot();
  assert.ok(n.lines().includes("- nitro: SYS/setup: bad interpreter"));
  assert.ok(
    n.lines().includes(`- nitro: SYS/setup finished with status ${127 << 8}`),
  );
  assert.deepEqual(n.host.processes.started, ["web/run"]);
  assert.equal(n.sh.supervisor.status("web")?.state, "STARTING");
});

Deno.test("pid 1's last sweep failing is said, and the end goes on to the power-off", async () => {
  const n = shell((h) => h.tree.add("web"), {
    role: "machine",
    pid1: { killAll: true },
  }).boot();
  n.sh.end("reboot");
  n.host.clock.advance(0); // web dies of its SIGTERM
  await settle();
  await settle();
  assert.ok(
    n.lines().some((l) =>
      l.startsWith(
        "- nitro: internal error (kill-all): Error: kill(-1) refused",
      )
    ),
    n.lines().join("\n"),
  );
  assert.deepEqual(n.pid1!.calls, ["killAll", "power reboot", "flush"]);
  assert.equal(n.result.code, 0);
});

Deno.test("a power-off that fails is said; nitro still exits, after its last words", async () => {
  const n = shell(() => {}, { role: "machine", pid1: { power: true } })
    .boot();
  n.sh.end("shutdown");
  await settle();
  await settle();
  assert.ok(
    n.lines().some((l) =>
      l.startsWith("- nitro: internal error (power): Error: reboot(2) refused")
    ),
    n.lines().join("\n"),
  );
  assert.deepEqual(n.pid1!.calls, ["killAll", "power shutdown", "flush"]);
  assert.equal(n.result.code, 0);
});

Deno.test("nitro exits only once its last words are out, waiting at most LAST_WORDS_MS", async () => {
  const n = shell(() => {});
  const flushes: number[] = [];
  const out = Promise.withResolvers<boolean>();
  Object.assign(n.host.console, {
    flush: (ms: number) => {
      flushes.push(ms);
      return out.promise;
    },
  });
  n.boot();
  n.sh.end("shutdown");
  await settle();
  assert.deepEqual(flushes, [LAST_WORDS_MS]);
  assert.equal(n.result.code, null);
  out.resolve(false); // the console stood still: exit without them
  await settle();
  assert.equal(n.result.code, 0);
});

Deno.test("SYS/reincarnate is exec'd only after the last words are out", async () => {
  const n = shell((h) => h.tree.sys = { reincarnate: true }, {
    role: "container",
    pid1: {},
  }).boot();
  n.sh.end("shutdown");
  await settle();
  await settle();
  assert.deepEqual(n.pid1!.calls.slice(0, 3), [
    "killAll",
    "flush",
    `reincarnate ${ROOT}/SYS/reincarnate`,
  ]);
  // Its exec failed: said in C nitro's words, and SYS/final's turn comes.
  assert.ok(
    n.lines().includes("- nitro: SYS/reincarnate failed to exec: exec refused"),
  );
  assert.equal(n.result.code, 0);
});

Deno.test("SYS/final killed by a signal within its time: 128 + N, not a timeout", async () => {
  for (const [signo, status] of [[15, 143], [9, 137]]) {
    const n = shell((h) => h.tree.sys = { final: true }).boot();
    n.host.clock.advance(UP_AFTER_MS);
    n.sh.end("shutdown");
    await settle();
    const final = n.host.processes.of("SYS/final");
    n.host.clock.advance(10);
    n.host.processes.exit(final.pid, signaledStatus(signo));
    await settle();
    assert.ok(
      n.lines().includes(`- nitro: SYS/final finished with status ${status}`),
      n.lines().join("\n"),
    );
    assert.ok(!n.lines().some((l) => l.includes("terminated after timeout")));
    assert.equal(n.result.code, 0);
  }
});

Deno.test("SYS/final that outlives its limit and then exits is said by its status", async () => {
  const n = shell((h) => {
    h.tree.sys = { final: true };
    h.processes.policy = () => null; // even SIGKILL does not end it here
  }).boot();
  n.sh.end("shutdown");
  await settle();
  const final = n.host.processes.of("SYS/final");
  n.host.clock.advance(SYSTEM_SCRIPT_LIMIT_MS);
  assert.deepEqual(final.signals, ["-SIGKILL"]);
  n.host.processes.exit(final.pid, { code: 0 });
  await settle();
  assert.deepEqual(n.lines().slice(-3), [
    "- nitro: SYS/final ran over 30s, killing it",
    "- nitro: SYS/final finished with status 0",
    "- nitro: finished",
  ]);
});

Deno.test("fatal: the problem escaped; without SYS/fatal, exit 111 at once", async () => {
  const n = shell(() => {});
  assert.equal(await n.sh.fatal("/sv\x1b[2J: no such directory"), 111);
  assert.deepEqual(n.lines(), ["- nitro: /sv\\x1b[2J: no such directory"]);
  assert.deepEqual(n.host.processes.started, []);
});
