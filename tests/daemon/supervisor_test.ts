/**
 * The supervisor and the system shell in process, on a fake host with a
 * virtual clock: boot order, readiness, restart delays, the 7 s kill, the
 * end in order (SYS/finish, services before their loggers, SYS/final),
 * rescans, reboots and fatal starts. No process runs and no time passes:
 * every "after N ms" is asserted at N - 1 and at N.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ServiceEvent, State } from "../../src/protocol.ts";
import type { EndMode, Role } from "../../src/core/system.ts";
import {
  DELAY_MS,
  KILL_AFTER_MS,
  UP_AFTER_MS,
} from "../../src/core/service.ts";
import { SYSTEM_SCRIPT_LIMIT_MS } from "../../src/core/system.ts";
import { type Pid1Duties, SystemShell } from "../../src/daemon/system_shell.ts";
import { START_BATCH } from "../../src/daemon/supervisor.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

/** What pid 1 was asked to do, in order. */
interface Pid1Log {
  calls: string[];
  duties: Pid1Duties;
}

function fakePid1(host: FakeHost): Pid1Log {
  const calls: string[] = [];
  return {
    calls,
    duties: {
      killAll: () => {
        calls.push(`killAll at ${host.clock.now()}`);
        return Promise.resolve();
      },
      power: (mode: EndMode) => {
        calls.push(`power ${mode}`);
        return Promise.resolve();
      },
      reincarnate: (path: string) => {
        calls.push(`reincarnate ${path}`);
        throw new Error("exec refused");
      },
    },
  };
}

/** A nitro on a fake host, booted (unless `fatal`). */
function nitro(
  setup: (host: FakeHost) => void,
  opts: { role?: Role; pid1?: boolean } = {},
) {
  const host = new FakeHost();
  setup(host);
  const pid1 = opts.pid1 ? fakePid1(host) : null;
  const closed: number[] = [];
  const shell = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: opts.role ?? "process",
    pid1: pid1?.duties,
    closeControl: () => {
      closed.push(host.clock.now());
      return Promise.resolve();
    },
  });
  const sup = shell.supervisor;
  const events: ServiceEvent[] = [];
  sup.subscribe((e) => events.push(e));
  const result = { code: null as number | null };
  return {
    host,
    shell,
    sup,
    events,
    pid1,
    closed,
    result,
    boot() {
      shell.run().then((code) => result.code = code);
      return this;
    },
    state: (name: string): State | undefined => sup.status(name)?.state,
    /**
     * The changes of `name`, as `STATE@time`: announcements that repeat
     * the state it is in are left out.
     */
    history: (name: string) =>
      events.filter((e) => e.name === name)
        .filter((e, i, all) => i === 0 || all[i - 1].state !== e.state)
        .map((e) => `${e.state}@${e.time}`),
    proc: (script: string) => host.processes.of(script),
    exit: (script: string, code = 0) =>
      host.processes.exit(host.processes.of(script).pid, { code }),
    advance: (ms = 0) => host.clock.advance(ms),
  };
}

/** Let promise callbacks run (the exit after the last words). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("boot: LOG first, the rest by name, a batch at a time", () => {
  const names = Array.from({ length: 20 }, (_, i) => `s${i + 10}`);
  const n = nitro((h) => {
    for (const name of names) h.tree.add(name);
    h.tree.add("LOG");
    h.tree.add("a", { run: true, down: true });
  }).boot();
  // The first batch: LOG, a (down: no process), and 14 more.
  const first = ["LOG", ...names.slice(0, START_BATCH - 2)].map((s) =>
    `${s}/run`
  );
  assert.deepEqual(n.host.processes.started, first);
  assert.equal(n.state("a"), "DOWN"); // `down`: listed, not started.
  n.advance(0);
  assert.deepEqual(
    n.host.processes.started,
    ["LOG", ...names].map((s) => `${s}/run`),
  );
  assert.match(n.host.console.lines[0], /^- nitro: booting$/);
});

Deno.test("without notification-fd a service is UP 2 s after its start", () => {
  const n = nitro((h) => h.tree.add("web")).boot();
  assert.equal(n.state("web"), "STARTING");
  n.advance(UP_AFTER_MS - 1);
  assert.equal(n.state("web"), "STARTING");
  n.advance(1);
  assert.equal(n.state("web"), "UP");
  assert.deepEqual(n.history("web"), ["STARTING@0", `UP@${UP_AFTER_MS}`]);
});

Deno.test("notification-fd: UP at the first newline, not on a timer", () => {
  const n = nitro((h) =>
    h.tree.add("web", { run: true, "notification-fd": "3" })
  )
    .boot();
  assert.equal(n.proc("web/run").req.notifyFd, 3);
  n.advance(60_000);
  assert.equal(n.state("web"), "STARTING");
  n.host.processes.ready("web/run");
  assert.equal(n.state("web"), "UP");
  assert.deepEqual(n.history("web"), ["STARTING@0", "UP@60000"]);
});

Deno.test("a run that ends within 2 s is restarted 2 s later; after that at once", () => {
  const n = nitro((h) => h.tree.add("web")).boot();
  n.advance(500);
  n.exit("web/run", 1);
  assert.equal(n.state("web"), "DELAY");
  n.advance(DELAY_MS - 1);
  assert.equal(n.host.processes.started.length, 1);
  n.advance(1);
  assert.equal(n.state("web"), "STARTING");
  assert.equal(n.host.processes.started.length, 2);
  n.advance(UP_AFTER_MS);
  assert.equal(n.state("web"), "UP");
  n.exit("web/run", 1); // Up for long enough: no delay.
  assert.equal(n.host.processes.started.length, 3);
  assert.deepEqual(n.history("web"), [
    "STARTING@0",
    "RESTART@500",
    "DOWN@500",
    "DELAY@500",
    "STARTING@2500",
    "UP@4500",
    "RESTART@4500",
    "DOWN@4500",
    "STARTING@4500",
  ]);
});

Deno.test("down: the down signal, then SIGKILL to its group after 7 s", () => {
  const n = nitro((h) => {
    h.tree.add("web");
    h.tree.add("hup", { run: true, "down-signal": "h" });
    // Both ignore their down signal.
    h.processes.policy = (_p, signal) => signal === "SIGKILL" ? 9 : null;
  }).boot();
  n.advance(UP_AFTER_MS);
  n.sup.input("web", { type: "down" });
  n.sup.input("hup", { type: "down" });
  const web = n.proc("web/run");
  const hup = n.proc("hup/run");
  // SIGCONT after it: a stopped process could not act on the first.
  assert.deepEqual(web.signals, ["SIGTERM", "SIGCONT"]);
  assert.deepEqual(hup.signals, ["SIGHUP", "SIGCONT"]);
  assert.equal(n.state("web"), "SHUTDOWN");
  n.advance(KILL_AFTER_MS - 1);
  assert.deepEqual(web.signals, ["SIGTERM", "SIGCONT"]);
  n.advance(1);
  assert.deepEqual(web.signals, ["SIGTERM", "SIGCONT", "-SIGKILL"]);
  assert.deepEqual(hup.signals, ["SIGHUP", "SIGCONT", "-SIGKILL"]);
  n.advance(0);
  assert.equal(n.state("web"), "DOWN");
  assert.equal(n.sup.status("web")?.wstatus, 9);
  assert.deepEqual(n.history("web").slice(-2), ["SHUTDOWN@2000", "DOWN@9000"]);
});

Deno.test("SYS/setup: services wait for its end; SYS is listed meanwhile", () => {
  const n = nitro((h) => {
    h.tree.sys = { setup: true };
    h.tree.add("web");
  }).boot();
  assert.deepEqual(n.host.processes.started, ["SYS/setup"]);
  assert.equal(n.state("SYS"), "SETUP");
  assert.equal(n.sup.status("SYS")?.pid, n.proc("SYS/setup").pid);
  n.advance(10_000);
  assert.equal(n.state("web"), "DOWN");
  n.exit("SYS/setup", 3);
  assert.equal(n.state("SYS"), undefined);
  assert.equal(n.state("web"), "STARTING");
  assert.ok(
    // The raw wait status, as C nitro prints it.
    n.host.console.lines.includes(
      "- nitro: SYS/setup finished with status 768",
    ),
  );
  assert.deepEqual(n.history("SYS"), ["SETUP@0", "DOWN@10000"]);
});

Deno.test("the end: SYS/finish, services before their loggers, SYS/final, exit", async () => {
  const n = nitro((h) => {
    h.tree.sys = { finish: true, final: true };
    h.tree.add("LOG");
    h.tree.add("web");
    h.tree.add("db", { run: true, log: "dblog" });
    h.tree.add("dblog");
  }).boot();
  n.advance(UP_AFTER_MS);
  n.shell.end("shutdown");
  const finish = n.proc("SYS/finish");
  assert.deepEqual(finish.req.args, ["0", "0", "shutdown"]);
  // SYS/finish writes into LOG, like the services.
  assert.deepEqual(finish.req.stdout, {
    kind: "fifo",
    path: "/run/nitro.sock.d/LOG",
  });
  assert.equal(n.state("SYS"), "SHUTDOWN");
  assert.equal(n.sup.stopping, true);
  // Nothing is stopped while SYS/finish runs.
  assert.deepEqual(n.proc("web/run").signals, []);
  n.advance(1000);
  n.exit("SYS/finish");
  // Writers first: web and db; dblog and LOG (loggers) wait.
  assert.deepEqual(n.proc("web/run").signals, ["SIGTERM", "SIGCONT"]);
  assert.deepEqual(n.proc("db/run").signals, ["SIGTERM", "SIGCONT"]);
  assert.deepEqual(n.proc("dblog/run").signals, []);
  assert.deepEqual(n.proc("LOG/run").signals, []);
  n.advance(0); // web and db die of it.
  // dblog's writers are gone: it drains its pipe (no signal) and ends.
  assert.deepEqual(n.host.pipes.log, ["release dblog"]);
  assert.deepEqual(n.proc("dblog/run").signals, []);
  n.exit("dblog/run");
  // The stops of one turn share one look at what may stop next.
  assert.deepEqual(n.host.pipes.log, ["release dblog"]);
  n.advance(0);
  // Now LOG, which dblog wrote into.
  assert.deepEqual(n.host.pipes.log, ["release dblog", "release LOG"]);
  n.exit("LOG/run");
  n.advance(0);
  await settle(); // The last sweep (nothing to do outside pid 1).
  const final = n.proc("SYS/final");
  assert.deepEqual(final.req.args, ["shutdown"]);
  n.exit("SYS/final");
  await settle();
  assert.equal(n.result.code, 0);
  assert.deepEqual(n.closed, [3000]);
  assert.deepEqual(n.host.console.lines.slice(1), [
    "- nitro: shutting down",
    "- nitro: SYS/finish finished",
    // Loggers are not counted; a dot at once, then one per look at the
    // services while they stop (web and db died in the same turn: one look).
    "- nitro: waiting for 2 services to finish... done.",
    "- nitro: SYS/final starting",
    "- nitro: SYS/final finished with status 0",
    "- nitro: finished",
  ]);
  // Requests to start are refused once the end began.
  n.sup.input("web", { type: "up" });
  assert.equal(n.state("web"), "DOWN");
});

Deno.test("SYS/finish that runs over 30 s is killed with its group", async () => {
  const n = nitro((h) => {
    h.tree.sys = { finish: true };
    h.processes.policy = (_p, signal) => signal === "SIGKILL" ? 9 : null;
  }).boot();
  n.shell.end("reboot");
  const finish = n.proc("SYS/finish");
  n.advance(SYSTEM_SCRIPT_LIMIT_MS - 1);
  assert.deepEqual(finish.signals, []);
  n.advance(1);
  assert.deepEqual(finish.signals, ["-SIGKILL"]);
  assert.ok(
    n.host.console.lines.includes(
      "- nitro: SYS/finish ran over 30s, killing it",
    ),
  );
  n.advance(0);
  // The end goes on: no service, no SYS/final, and a reboot boots again.
  await settle();
  assert.equal(n.shell.system.phase, "running");
  assert.deepEqual(n.host.console.lines.filter((l) => /boot/.test(l)), [
    "- nitro: booting",
    "- nitro: rebooting",
    "- nitro: booting",
  ]);
});

Deno.test("a reboot without a machine boots again, with SYS/reincarnate first", () => {
  const n = nitro((h) => {
    h.tree.sys = { reincarnate: true };
    h.tree.add("web");
  }, { role: "container", pid1: true }).boot();
  n.advance(UP_AFTER_MS);
  n.shell.end("reboot");
  n.advance(0); // web dies of its SIGTERM.
  return settle().then(() => {
    // The exec failed (as the fake refuses it): nitro says so and boots.
    assert.deepEqual(n.pid1!.calls, [
      "killAll at 2000",
      "reincarnate /sv/SYS/reincarnate",
    ]);
    assert.ok(
      n.host.console.lines.includes(
        "- nitro: SYS/reincarnate failed to exec: exec refused",
      ),
    );
    assert.deepEqual(n.host.processes.started, ["web/run", "web/run"]);
    assert.equal(n.state("web"), "STARTING");
    assert.equal(n.result.code, null);
    assert.equal(n.shell.system.phase, "running");
  });
});

Deno.test("a plain nitro ignores SYS/reincarnate, saying why", async () => {
  const n = nitro((h) => h.tree.sys = { reincarnate: true }).boot();
  n.shell.end("shutdown");
  await settle();
  assert.equal(n.result.code, 0);
  assert.ok(
    n.host.console.lines.includes(
      "- nitro: SYS/reincarnate needs nitro to be pid 1; ignored",
    ),
  );
});

Deno.test("a machine's pid 1: last sweep before SYS/final, then power off", async () => {
  const n = nitro((h) => {
    h.tree.sys = { final: true };
    h.tree.add("web");
  }, { role: "machine", pid1: true }).boot();
  n.shell.end("shutdown");
  assert.deepEqual(n.pid1!.calls, []);
  n.advance(0);
  await settle();
  assert.deepEqual(n.pid1!.calls, ["killAll at 0"]);
  n.exit("SYS/final");
  await settle();
  assert.deepEqual(n.pid1!.calls, ["killAll at 0", "power shutdown"]);
  assert.equal(n.closed.length, 1);
  // "system halt" (said by the power-off) is a machine's last word, not
  // "finished".
  assert.deepEqual(n.host.console.lines.slice(-2), [
    "- nitro: SYS/final starting",
    "- nitro: SYS/final finished with status 0",
  ]);
});

Deno.test("SYS/final: its status in C nitro's words; over 30 s, killed and said so", async () => {
  const failing = nitro((h) => h.tree.sys = { final: true }).boot();
  failing.shell.end("shutdown");
  await settle();
  failing.exit("SYS/final", 3);
  await settle();
  assert.ok(
    failing.host.console.lines.includes(
      "- nitro: SYS/final finished with status 3",
    ),
  );
  const slow = nitro((h) => {
    h.tree.sys = { final: true };
    h.processes.policy = (_p, signal) => signal === "SIGKILL" ? 9 : null;
  }).boot();
  slow.shell.end("shutdown");
  await settle();
  slow.advance(SYSTEM_SCRIPT_LIMIT_MS);
  slow.advance(0);
  await settle();
  assert.equal(slow.result.code, 0);
  // Two lines where C nitro prints the last one: when the limit strikes,
  // and when it is gone (see docs/decisions.md).
  assert.deepEqual(slow.host.console.lines.slice(-4), [
    "- nitro: SYS/final starting",
    "- nitro: SYS/final ran over 30s, killing it",
    "- nitro: SYS/final terminated after timeout",
    "- nitro: finished",
  ]);
});

Deno.test("fatal: the reason, SYS/fatal, exit 111; a machine reboots", async () => {
  const plain = nitro((h) => h.tree.sys = { fatal: true });
  const code = plain.shell.fatal("/sv: no such directory");
  assert.deepEqual(plain.host.processes.started, ["SYS/fatal"]);
  plain.exit("SYS/fatal", 1);
  assert.equal(await code, 111);
  assert.deepEqual(plain.host.console.lines, [
    "- nitro: /sv: no such directory",
  ]);
  const machine = nitro(() => {}, { role: "machine", pid1: true });
  assert.equal(await machine.shell.fatal("no socket"), 111);
  assert.deepEqual(machine.pid1!.calls, ["power reboot"]);
});

Deno.test("rescan: new services start, removed ones stop and are forgotten", () => {
  const n = nitro((h) => h.tree.add("web")).boot();
  n.advance(UP_AFTER_MS);
  n.host.tree.add("new");
  n.host.tree.remove("web");
  n.sup.rescan();
  assert.equal(n.state("new"), "STARTING");
  assert.equal(n.state("web"), "SHUTDOWN");
  n.advance(0);
  assert.equal(n.state("web"), undefined);
  assert.deepEqual(n.sup.names(), ["new"]);
});

Deno.test("a scan that fails says why and keeps what it had", () => {
  const n = nitro((h) => h.tree.add("web")).boot();
  n.host.tree.scanError = new Deno.errors.PermissionDenied("Permission denied");
  n.sup.rescan();
  assert.ok(
    n.host.console.lines.includes(
      "- nitro: cannot scan /sv: Permission denied",
    ),
  );
  assert.deepEqual(n.sup.names(), ["web"]);
});

Deno.test("a script that cannot start makes its service FATAL", () => {
  const n = nitro((h) => {
    h.tree.add("web", { run: true, setup: true });
    h.processes.refuse.set("web/run", "run: interpreter /nope not found");
  }).boot();
  n.exit("web/setup");
  assert.equal(n.state("web"), "FATAL");
  assert.match(n.sup.detail("web")?.reason ?? "", /interpreter \/nope/);
});

Deno.test("status and detail are pure reads: nothing made, nothing said", () => {
  const n = nitro((h) => {
    h.tree.add("LOG@", { run: true });
    h.tree.add("web", { run: true, down: true });
    h.tree.add("odd", { run: true, down: true, log: "nope" });
  }).boot();
  const names = n.sup.names();
  const lines = n.host.console.lines.length;
  for (let i = 0; i < 3; i++) {
    assert.equal(n.sup.detail("web")?.logger, "LOG@web");
    assert.equal(n.sup.detail("odd")?.logger, null);
    assert.equal(n.sup.status("odd")?.state, "DOWN");
  }
  assert.deepEqual(n.sup.names(), names);
  assert.equal(n.host.console.lines.length, lines);
  assert.deepEqual(n.host.processes.started, []);
});

Deno.test("an unreadable service directory is FATAL with the cause, not 'gone'", () => {
  const n = nitro((h) => {
    h.tree.add("web");
    h.tree.add("old");
    h.tree.denied.set(
      "web",
      "cannot read the service directory: Permission denied",
    );
  });
  n.host.tree.denied.set("old", "service directory is gone");
  n.boot();
  assert.equal(n.state("web"), "FATAL");
  assert.equal(
    n.sup.detail("web")?.reason,
    "cannot read the service directory: Permission denied",
  );
  // Gone between the scan and the look at it: no service (as C nitro).
  assert.equal(n.state("old"), undefined);
  assert.ok(n.host.console.lines.includes("- nitro: no such service: old"));
});

Deno.test("setup: a failing one waits 2 s in DELAY; exit 111 is FATAL", () => {
  const n = nitro((h) => {
    h.tree.add("flaky", { run: true, setup: true });
    h.tree.add("fatal", { run: true, setup: true });
  }).boot();
  n.advance(100);
  n.exit("flaky/setup", 1);
  n.exit("fatal/setup", 111);
  assert.equal(n.state("fatal"), "FATAL");
  assert.equal(n.sup.detail("fatal")?.reason, "setup exited 111");
  assert.equal(n.state("flaky"), "DELAY");
  n.advance(DELAY_MS - 1);
  assert.equal(n.state("flaky"), "DELAY");
  n.advance(1);
  assert.equal(n.state("flaky"), "SETUP");
  assert.deepEqual(n.history("flaky"), [
    "SETUP@0",
    "DELAY@100",
    "SETUP@2100",
  ]);
});

Deno.test("restart from DELAY starts at once; down in DELAY stays down", () => {
  const n = nitro((h) => {
    h.tree.add("again");
    h.tree.add("stay");
  }).boot();
  n.advance(100);
  n.exit("again/run", 1);
  n.exit("stay/run", 1);
  n.advance(500);
  n.sup.input("again", { type: "restart" });
  n.sup.input("stay", { type: "down" });
  assert.equal(n.state("again"), "STARTING");
  assert.deepEqual(n.history("again").slice(-2), ["DELAY@100", "STARTING@600"]);
  n.advance(60_000);
  assert.equal(n.state("stay"), "DOWN");
  assert.equal(
    n.host.processes.all.filter((p) => p.script === "stay/run").length,
    1,
  );
});

Deno.test("down: a finish that does not end is killed after 7 s; a setup gets SIGTERM, a stubborn one SIGKILL", () => {
  const n = nitro((h) => {
    h.tree.add("slowfinish", { run: true, finish: true });
    h.tree.add("setupdown", { run: true, setup: true });
    h.tree.add("setupstubborn", { run: true, setup: true });
    // Only the finish and the stubborn setup ignore SIGTERM.
    h.processes.policy = (p, signal) =>
      signal === "SIGKILL"
        ? 9
        : signal === "SIGTERM" && p.script !== "setupstubborn/setup" &&
            p.script !== "slowfinish/finish"
        ? 15
        : null;
  }).boot();
  n.advance(UP_AFTER_MS);
  for (const name of ["slowfinish", "setupdown", "setupstubborn"]) {
    n.sup.input(name, { type: "down" });
  }
  const setup = n.proc("setupstubborn/setup");
  assert.deepEqual(setup.signals, ["SIGTERM"]);
  assert.deepEqual(n.proc("setupdown/setup").signals, ["SIGTERM"]);
  n.advance(0); // slowfinish/run and setupdown's setup die of it.
  assert.equal(n.state("setupdown"), "DOWN");
  const finish = n.proc("slowfinish/finish");
  assert.deepEqual(finish.req.args, ["-1", "15"]);
  n.advance(KILL_AFTER_MS - 1);
  assert.deepEqual(finish.signals, []);
  assert.equal(n.state("setupstubborn"), "SHUTDOWN");
  n.advance(1);
  assert.deepEqual(finish.signals, ["-SIGKILL"]);
  assert.deepEqual(setup.signals, ["SIGTERM", "-SIGKILL"]);
  n.advance(0);
  assert.equal(n.state("slowfinish"), "DOWN");
  assert.equal(n.state("setupstubborn"), "DOWN");
  assert.deepEqual(n.history("setupstubborn"), [
    "SETUP@0",
    "SHUTDOWN@2000",
    "DOWN@9000",
  ]);
});

Deno.test("detail: readiness for a service with run, null for a one-shot", () => {
  const n = nitro((h) => {
    h.tree.add("web", { run: true, "notification-fd": "3" });
    h.tree.add("once", { setup: true });
  }).boot();
  n.exit("once/setup", 0);
  assert.equal(n.state("once"), "ONESHOT");
  assert.equal(n.sup.detail("web")?.readiness, 3);
  // No run: nothing to be ready, so no readiness to report.
  assert.equal(n.sup.detail("once")?.readiness, null);
});
