/**
 * nitroctl's command line in process: the command word and its SERVICEs,
 * -t in seconds, -v, --json, --replay, -h, the sysvinit names, and every
 * usage error with its reason.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPath, parseCommandLine, UsageError } from "../../src/ctl/args.ts";
import { lookupCommand } from "../../src/ctl/commands.ts";

const nitroctl = (...args: string[]) =>
  parseCommandLine({ name: "nitroctl", args });

Deno.test("parseCommandLine: no word means list; the rest are SERVICEs", async () => {
  const list = await nitroctl();
  assert.strictEqual(list.command, lookupCommand("list"));
  assert.deepEqual(list.services, []);
  const up = await nitroctl("up", "web", "./db");
  assert.strictEqual(up.command, lookupCommand("up"));
  assert.deepEqual(up.services, ["web", "./db"]);
  assert.equal(up.timeoutMs, undefined);
  assert.deepEqual([up.verbose, up.json, up.replay, up.help], [
    false,
    false,
    false,
    false,
  ]);
});

Deno.test("parseCommandLine: options anywhere; -t in (fractional) seconds", async () => {
  const line = await nitroctl("-t", "1.5", "start", "-v", "web", "--json");
  assert.strictEqual(line.command, lookupCommand("start"));
  assert.deepEqual(line.services, ["web"]);
  assert.equal(line.timeoutMs, 1500);
  assert.deepEqual([line.verbose, line.json], [true, true]);
  assert.equal((await nitroctl("-t.25", "list")).timeoutMs, 250);
  assert.equal((await nitroctl("events", "--replay")).replay, true);
  assert.equal((await nitroctl("-h")).help, "usage");
  assert.equal((await nitroctl("start", "--help")).help, "command");
  // A command's help needs a command: a bad word is a usage error.
  await assert.rejects(() => nitroctl("frob", "-h"), UsageError);
});

Deno.test("parseCommandLine: usage errors say what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [["frob"], /^unknown command: frob$/],
    [["start"], /^start needs at least one SERVICE$/],
    [["info", "web"], /^info takes no SERVICE$/],
    [["--replay", "list"], /^--replay goes with events only$/],
    [["-t", "0", "list"], /^bad -t value: 0 \(want seconds > 0\)$/],
    [["-t", "soon", "list"], /^bad -t value: soon/],
    [["-t", "1e3", "list"], /^bad -t value: 1e3/],
    [["--frob", "list"], /^unknown option '--frob'$/],
    [["-t"], /^option '-t, --timeout <value>' argument missing$/],
  ];
  for (const [args, reason] of cases) {
    await assert.rejects(nitroctl(...args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args}: ${error}`);
      assert.match(error.message, reason, args.join(" "));
      return true;
    });
  }
});

Deno.test("parseCommandLine: sysvinit names ignore their flags; init takes a level", async () => {
  const as = (name: string, ...args: string[]) =>
    parseCommandLine({ name, args });
  assert.strictEqual(
    (await as("halt", "-f")).command,
    lookupCommand("Shutdown"),
  );
  assert.strictEqual((await as("poweroff")).command, lookupCommand("Shutdown"));
  assert.strictEqual(
    (await as("reboot", "-f")).command,
    lookupCommand("Reboot"),
  );
  assert.strictEqual(
    (await as("init", "0")).command,
    lookupCommand("Shutdown"),
  );
  assert.strictEqual((await as("init", "6")).command, lookupCommand("Reboot"));
  assert.strictEqual((await as("init", "q")).command, lookupCommand("rescan"));
  assert.strictEqual((await as("init", "Q")).command, lookupCommand("rescan"));
  for (const args of [[], ["5"], ["0", "6"]]) {
    await assert.rejects(as("init", ...args), /usage: init 0\|6\|q/);
  }
});

Deno.test("isPath: `.`, `..` and anything with a slash", () => {
  for (const p of [".", "..", "./web", "../web", "/etc/nitro/web", "a/b"]) {
    assert.equal(isPath(p), true, p);
  }
  for (const n of ["web", "tty@one", "..web", ".hidden"]) {
    assert.equal(isPath(n), false, n);
  }
});
