/**
 * What the supervisor and the system shell announce on the wire (the notify
 * directory), on a fake host with a virtual clock: the sequences of
 * nitro.c's notify() calls, each at the time it is due. tests/e2e/notify_test.ts
 * checks the same with real processes, against C nitro too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DELAY_MS, UP_AFTER_MS } from "../../src/core/service.ts";
import { SystemShell } from "../../src/daemon/system_shell.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

function nitro(setup: (host: FakeHost) => void) {
  const host = new FakeHost();
  setup(host);
  const shell = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: "process",
    closeControl: () => Promise.resolve(),
  });
  void shell.run();
  const sent = host.notify.sent;
  return {
    host,
    shell,
    sup: shell.supervisor,
    /** What was announced about `name`, as `STATE@time`. */
    wire: (name: string) =>
      sent.filter((s) => s.line.startsWith(`${name} `)).map((s) =>
        `${s.line.slice(name.length + 1)}@${s.at}`
      ),
    exit: (script: string, code = 0) =>
      host.processes.exit(host.processes.of(script).pid, { code }),
    advance: (ms = 0) => host.clock.advance(ms),
  };
}

Deno.test("wire: a boot announces STARTING, then UP when it is due", () => {
  const n = nitro((h) => {
    h.tree.add("web");
    h.tree.add("db", { setup: true, run: true });
  });
  n.advance(100);
  n.exit("db/setup");
  n.advance(UP_AFTER_MS);
  assert.deepEqual(n.wire("web"), ["STARTING@0", `UP@${UP_AFTER_MS}`]);
  assert.deepEqual(n.wire("db"), [
    "SETUP@0",
    "STARTING@100",
    `UP@${100 + UP_AFTER_MS}`,
  ]);
});

Deno.test("wire: a crash loop is STARTING, DOWN; DELAY is never announced", () => {
  const n = nitro((h) => h.tree.add("web"));
  n.advance(10);
  n.exit("web/run", 1);
  n.advance(DELAY_MS);
  n.exit("web/run", 1);
  assert.equal(n.sup.status("web")?.state, "DELAY");
  assert.deepEqual(n.wire("web"), [
    "STARTING@0",
    "DOWN@10",
    `STARTING@${10 + DELAY_MS}`,
    `DOWN@${10 + DELAY_MS}`,
  ]);
});

Deno.test("wire: finish runs in the state C announces (STARTING after an early crash, RESTART after UP)", () => {
  const n = nitro((h) => h.tree.add("web", { run: true, finish: true }));
  n.advance(10);
  n.exit("web/run", 1);
  n.exit("web/finish");
  n.advance(DELAY_MS + UP_AFTER_MS);
  n.exit("web/run", 1);
  n.exit("web/finish");
  assert.deepEqual(n.wire("web"), [
    "STARTING@0",
    "STARTING@10",
    "DOWN@10",
    `STARTING@${10 + DELAY_MS}`,
    `UP@${10 + DELAY_MS + UP_AFTER_MS}`,
    `RESTART@${10 + DELAY_MS + UP_AFTER_MS}`,
    `DOWN@${10 + DELAY_MS + UP_AFTER_MS}`,
    `STARTING@${10 + DELAY_MS + UP_AFTER_MS}`,
  ]);
});

Deno.test("wire: requests are answered with the state they leave, changed or not", () => {
  const n = nitro((h) => {
    h.tree.add("web");
    h.tree.add("manual", { run: true, "notification-fd": "0" });
  });
  n.advance(UP_AFTER_MS);
  n.sup.request("web", { type: "up" }); // Changes nothing.
  n.sup.request("web", { type: "down" }); // SHUTDOWN only by the answer.
  n.advance(0); // It dies of SIGTERM.
  n.sup.request("web", { type: "up" });
  n.sup.request("manual", { type: "ready" });
  const t = UP_AFTER_MS;
  assert.deepEqual(n.wire("web"), [
    "STARTING@0",
    `UP@${t}`,
    `UP@${t}`,
    `SHUTDOWN@${t}`,
    `DOWN@${t}`,
    `STARTING@${t}`,
    `STARTING@${t}`,
  ]);
  assert.deepEqual(n.wire("manual"), ["STARTING@0", `UP@${t}`, `UP@${t}`]);
});

Deno.test("wire: readiness on the fd announces UP once; setup 111 is SETUP, FATAL", () => {
  const n = nitro((h) => {
    h.tree.add("fd", { run: true, "notification-fd": "3" });
    h.tree.add("bad", { setup: true, run: true });
  });
  n.advance(5);
  n.host.processes.ready("fd/run");
  n.exit("bad/setup", 111);
  assert.deepEqual(n.wire("fd"), ["STARTING@0", "UP@5"]);
  assert.deepEqual(n.wire("bad"), ["SETUP@0", "FATAL@5"]);
});

Deno.test("wire: SYS/setup and SYS/finish as C nitro's one-shot SYS", async () => {
  const n = nitro((h) => {
    h.tree.sys = { setup: true, finish: true };
  });
  n.advance(3);
  n.exit("SYS/setup");
  n.shell.end("shutdown");
  n.advance(4);
  n.exit("SYS/finish");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(n.wire("SYS"), [
    "SETUP@0",
    "ONESHOT@3",
    "DOWN@3",
    "ONESHOT@3",
    "DOWN@7",
  ]);
});

Deno.test("wire: a directory without run or setup is no service, said at each look", () => {
  const n = nitro((h) => {
    h.tree.add("empty", {});
    h.tree.add("web");
  });
  n.sup.rescan();
  assert.equal(n.sup.has("empty"), false);
  assert.equal(n.sup.ensureInstance("empty"), false);
  assert.deepEqual(
    n.host.console.lines.filter((l) => l.includes("empty")),
    [
      "- nitro: no such service: empty",
      "- nitro: no such service: empty",
      "- nitro: no such service: empty",
    ],
  );
  assert.deepEqual(n.wire("empty"), []);
});

Deno.test("wire: an instance of a template without run or setup is no service, said", () => {
  const n = nitro((h) => {
    h.tree.add("t@", {});
    h.tree.add("web");
  });
  assert.equal(n.sup.ensureInstance("t@x"), false);
  assert.equal(n.sup.has("t@x"), false);
  assert.deepEqual(
    n.host.console.lines.filter((l) => l.includes("t@")),
    ["- nitro: no such service: t@x"],
  );
  assert.deepEqual(n.wire("t@x"), []);
});

Deno.test("console: what the boot's scan says follows `booting`, as in C nitro", () => {
  const n = nitro((h) => {
    h.tree.add("empty", {});
    h.tree.add("web");
  });
  assert.deepEqual(n.host.console.lines.slice(0, 2), [
    "- nitro: booting",
    "- nitro: no such service: empty",
  ]);
});
