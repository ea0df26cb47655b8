/**
 * When the supervisor reads a service's option files, on a fake host: as C
 * nitro does, `notification-fd` as `run` starts and `down-signal` as the
 * service is stopped; never at the other decisions (a request answered,
 * a deadline, an exit, a status query). A refused file is one console
 * line, and the service goes on as without it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UP_AFTER_MS } from "../../src/core/service.ts";
import { SystemShell } from "../../src/daemon/system_shell.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

function boot(setup: (host: FakeHost) => void) {
  const host = new FakeHost();
  setup(host);
  const shell = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: "process",
    closeControl: () => Promise.resolve(),
  });
  shell.run();
  return { host, sup: shell.supervisor };
}

Deno.test("notification-fd is read as run starts, down-signal as it stops, nothing else", () => {
  const { host, sup } = boot((h) =>
    h.tree.add("web", {
      run: true,
      "notification-fd": "3",
      "down-signal": "h",
    })
  );
  assert.deepEqual(host.tree.optionReads, ["web/notification-fd"]);
  assert.equal(host.processes.of("web/run").req.notifyFd, 3);
  // Requests, queries, readiness, a deadline: no read.
  for (let i = 0; i < 50; i++) {
    sup.input("web", { type: "up" });
    sup.status("web");
    sup.detail("web");
  }
  host.processes.ready("web/run");
  host.clock.advance(60_000);
  assert.equal(sup.status("web")?.state, "UP");
  assert.deepEqual(host.tree.optionReads, ["web/notification-fd"]);
  // Stopped: down-signal is read now, and what it says now is sent.
  host.tree.add("web", {
    run: true,
    "notification-fd": "3",
    "down-signal": "q",
  });
  sup.input("web", { type: "down" });
  assert.deepEqual(host.processes.of("web/run").signals, [
    "SIGQUIT",
    "SIGCONT",
  ]);
  assert.deepEqual(host.tree.optionReads, [
    "web/notification-fd",
    "web/down-signal",
  ]);
});

Deno.test("notification-fd changed between starts: the new run follows the file of its start", () => {
  const { host, sup } = boot((h) => h.tree.add("web", { run: true }));
  host.clock.advance(UP_AFTER_MS);
  assert.equal(sup.status("web")?.state, "UP");
  host.tree.add("web", { run: true, "notification-fd": "4" });
  sup.input("web", { type: "restart" });
  host.processes.exit(host.processes.of("web/run").pid, { code: 0 });
  const run = host.processes.of("web/run");
  assert.equal(run.req.notifyFd, 4);
  // Not UP by the timer: it waits for its newline.
  host.clock.advance(UP_AFTER_MS * 10);
  assert.equal(sup.status("web")?.state, "STARTING");
  host.processes.ready("web/run");
  assert.equal(sup.status("web")?.state, "UP");
});

Deno.test("a refused option file is one console line; the service runs as without it", () => {
  const { host, sup } = boot((h) => {
    h.tree.add("web", {
      run: true,
      "notification-fd": "3",
      "down-signal": "h",
    });
    h.tree.badOptions.set("web/notification-fd", "not a regular file (a FIFO)");
    h.tree.badOptions.set(
      "web/down-signal",
      "not a regular file (a character device)",
    );
  });
  assert.equal(host.processes.of("web/run").req.notifyFd, null);
  host.clock.advance(UP_AFTER_MS);
  assert.equal(sup.status("web")?.state, "UP"); // The timer, as without it.
  sup.input("web", { type: "down" });
  assert.deepEqual(host.processes.of("web/run").signals, [
    "SIGTERM",
    "SIGCONT",
  ]);
  const said = host.console.lines.filter((l) => l.includes("ignored"));
  assert.deepEqual(said, [
    "- nitro: web: notification-fd: not a regular file (a FIFO); ignored",
    "- nitro: web: down-signal: not a regular file (a character device); ignored",
  ]);
});
