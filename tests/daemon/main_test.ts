/**
 * The daemon's main() in process, on the paths that return before nitro
 * touches anything (no signal handler, no socket, no console writer):
 * `--help` and a command line that is wrong. Everything past them makes a
 * real nitro and is run as one: tests/e2e/ (daemon_*_test.ts, pid1_*_test.ts),
 * tests/ci/install_test.ts (the installed binary's --help). The command
 * line itself: tests/daemon/command_line_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseCommandLine, USAGE } from "../../src/daemon/command_line.ts";
import { main } from "../../src/daemon/main.ts";

/**
 * Run main with console.log and console.error kept, not printed, and the
 * signals it would begin to handle counted, not handled.
 */
async function quiet(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const signals: string[] = [];
  const { log, error } = console;
  const addSignalListener = Deno.addSignalListener;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  Deno.addSignalListener = (signal: Deno.Signal) => void signals.push(signal);
  try {
    return { code: await main(args), out, err, signals };
  } finally {
    console.log = log;
    console.error = error;
    Deno.addSignalListener = addSignalListener;
  }
}

Deno.test("--help: the usage and what nitro answers to, on stdout, status 0", async () => {
  for (const args of [["--help"], ["-h"], ["/etc/nitro", "-h"]]) {
    const r = await quiet(args);
    assert.deepEqual(
      [r.code, r.err.length, r.out.length],
      [0, 0, 1],
      args.join(),
    );
    const help = r.out[0];
    assert.ok(help.startsWith(`${USAGE}\n`), help);
    assert.match(help, /^ {2}NITRO_SOCK {2}/m);
    for (const signal of ["HUP", "INT", "TERM"]) {
      assert.match(help, new RegExp(`^  ${signal} +\\S`, "m"), signal);
    }
  }
});

Deno.test("a wrong command line: its one line on stderr, status 2, nothing started", async () => {
  for (const args of [["a", "b"], ["--frob"], ["-x", "dir"]]) {
    const r = await quiet(args);
    const line = parseCommandLine(args);
    assert.equal(line.kind, "mistake");
    assert.deepEqual([r.code, r.out, r.err], [
      2,
      [],
      [line.kind === "mistake" ? line.line : ""],
    ]);
    assert.deepEqual(r.signals, []);
  }
});
