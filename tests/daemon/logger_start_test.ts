/**
 * When a plain logger (a directory of its own that others' `log` links
 * name) starts, on a fake host: with its first writer, not at boot; so a
 * `down` writer does not start it. LOG still starts first at boot.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SystemShell } from "../../src/daemon/system_shell.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

Deno.test("a down writer does not start its plain logger; the writer's start does", () => {
  const host = new FakeHost();
  host.tree.add("LOG");
  host.tree.add("web", { run: true, down: true, log: "weblog" });
  host.tree.add("weblog");
  host.tree.add("self", { run: true, log: "self" });
  const shell = new SystemShell({
    dir: ROOT,
    host,
    stdio: { stdout: true, stderr: true },
    role: "process",
  });
  void shell.run();
  host.clock.advance(0);
  // LOG first; a service that logs into itself is its own writer.
  assert.deepEqual(host.processes.started, ["LOG/run", "self/run"]);
  assert.equal(shell.supervisor.status("weblog")?.state, "DOWN");
  shell.supervisor.request("web", { type: "up" });
  assert.deepEqual(host.processes.started.slice(2), ["web/run", "weblog/run"]);
});
