/**
 * Where a process's stdin and stdout go: a logger reads its pipe, a logged
 * service writes into its logger's pipe, the rest get nitro's stdout (or
 * /dev/null when nitro has none); a `log` link wins over LOG@ and LOG.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { LogWiring } from "../../src/daemon/log_wiring.ts";
import { FakeHost, ROOT } from "../helpers/fake_host.ts";

function wiring(stdout = true) {
  const host = new FakeHost();
  return { host, wiring: new LogWiring(host, { stdout }) };
}

const at = (name: string, param: string | null = null) => ({
  name,
  param,
  dir: join(ROOT, name),
});

Deno.test("loggerName: a log link, else LOG@ by name or parameter, else LOG", () => {
  const { host, wiring: w } = wiring();
  host.tree.add("web", { run: true, log: "../sink" });
  host.tree.add("api", { run: true });
  assert.equal(w.loggerName(at("web"), { hasLog: true }), "../sink");
  assert.equal(w.loggerName(at("api"), { hasLog: true }), "LOG");
  assert.equal(w.loggerName(at("api"), { hasLog: false }), null);
  w.hasLogTemplate = true;
  assert.equal(w.loggerName(at("api"), { hasLog: false }), "LOG@api");
  assert.equal(
    w.loggerName(at("tty@one", "one"), { hasLog: false }),
    "LOG@one",
  );
});

Deno.test("loggerName: SYS never follows a link, it logs into LOG", () => {
  const { host, wiring: w } = wiring();
  host.tree.add("SYS", { log: "../sink" });
  w.hasLogTemplate = true;
  assert.equal(w.loggerName(at("SYS"), { hasLog: true }), "LOG");
  assert.equal(w.loggerName(at("SYS"), { hasLog: false }), null);
});

Deno.test("loggerName: known entries without `log` skip the link lookup", () => {
  const { host, wiring: w } = wiring();
  host.tree.add("web", { run: true, log: "../sink" });
  const entries = host.tree.entries(join(ROOT, "web"));
  assert.notEqual(entries, null);
  assert.equal(w.loggerName(at("web"), { hasLog: true, entries }), "../sink");
  host.tree.add("plain", { run: true });
  const none = host.tree.entries(join(ROOT, "plain"));
  assert.equal(
    w.loggerName(at("plain"), { hasLog: true, entries: none }),
    "LOG",
  );
});

Deno.test("stdin: loggers read their pipe (made on demand), others /dev/null", () => {
  const { host, wiring: w } = wiring();
  w.loggers = new Set(["sink"]);
  assert.deepEqual(w.stdin("web"), { kind: "null" });
  assert.equal(host.pipes.has("web"), false, "no pipe made for a non-logger");
  for (const logger of ["LOG", "LOG@web", "sink"]) {
    assert.deepEqual(w.stdin(logger), {
      kind: "fifo",
      path: `/run/nitro.sock.d/${logger}`,
    });
    assert.equal(host.pipes.held.get(logger), "held");
  }
  // A pipe that still exists (a former logger's) is read to its end.
  host.pipes.ensure("old");
  assert.equal(w.stdin("old").kind, "fifo");
});

Deno.test("stdout: into the logger's pipe, else nitro's stdout or /dev/null", () => {
  const { host, wiring: w } = wiring(true);
  assert.deepEqual(w.stdout("LOG"), {
    kind: "fifo",
    path: "/run/nitro.sock.d/LOG",
  });
  assert.equal(host.pipes.held.get("LOG"), "held");
  assert.deepEqual(w.stdout(null), { kind: "inherit" });
  assert.deepEqual(wiring(false).wiring.stdout(null), { kind: "null" });
});
