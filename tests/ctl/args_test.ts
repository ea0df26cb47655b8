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

Deno.test("parseCommandLine: usage errors are C's words, why, and --help", async () => {
  const C = "usage: nitroctl COMMAND \\[SERVICE \\.\\.\\.\\]";
  const T = "nitroctl: invalid timeout";
  const help = "; see nitroctl --help\\)$";
  const cases: [string[], RegExp][] = [
    [["frob"], new RegExp(`^${C} \\(unknown command: frob${help}`)],
    [["start"], new RegExp(`^${C} \\(start needs a SERVICE${help}`)],
    [["info", "web"], new RegExp(`^${C} \\(info takes no SERVICE${help}`)],
    [["l", "web"], new RegExp(`^${C} \\(l takes no SERVICE, list does${help}`)],
    [["--replay", "list"], /\(--replay goes with events only; see/],
    [
      ["-t", "-1", "list"],
      new RegExp(`^${T} \\(not a number of seconds: '-1'${help}`),
    ],
    [["-t", "soon", "list"], new RegExp(`^${T} \\(not a number`)],
    [["-t", "1x", "list"], new RegExp(`^${T} `)],
    [["-t", "1e999", "list"], new RegExp(`^${T} `)],
    [["-t", "1e-999", "list"], new RegExp(`^${T} `)],
    // getopt's words, not a library's.
    [["--frob", "list"], /\(unrecognized option '--frob'; see/],
    [["-x", "list"], /\(invalid option -- 'x'; see/],
    [["-t"], /\(option requires an argument -- 't'; see/],
    [["--timeout"], /\(option '--timeout' requires an argument; see/],
    [["--json=1"], /\(option '--json' doesn't allow an argument; see/],
  ];
  for (const [args, reason] of cases) {
    await assert.rejects(nitroctl(...args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args}: ${error}`);
      assert.match(error.message, reason, args.join(" "));
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("parseCommandLine: -t is read as C's strtod reads it", async () => {
  const cases: [string, number | undefined][] = [
    ["1", 1000],
    ["0", 0],
    ["0.5", 500],
    [".5", 500],
    ["5.", 5000],
    ["1e1", 10_000],
    ["0x10", 16_000],
    [" 2", 2000],
    ["inf", undefined],
    ["nan", undefined],
  ];
  for (const [text, ms] of cases) {
    assert.equal((await nitroctl("-t", text, "list")).timeoutMs, ms, text);
  }
  // Options bundled and anywhere among the words, as getopt takes them.
  const line = await nitroctl("start", "-vt2", "web");
  assert.equal(line.timeoutMs, 2000);
  assert.equal(line.verbose, true);
  assert.deepEqual(line.services, ["web"]);
  assert.deepEqual((await nitroctl("start", "--", "-web")).services, ["-web"]);
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
    await assert.rejects(
      as("init", ...args),
      /^UsageError: usage: init \[0\|6\|q\] \(see nitroctl --help\)$/,
    );
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
