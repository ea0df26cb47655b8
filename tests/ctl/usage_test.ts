/**
 * The usage text and `COMMAND --help` as text: the columns line up, a
 * description is wrapped at blanks within 76 columns and loses no word, and
 * an options section appears only for a command with options of its own.
 * Also tested: tests/ctl/help_test.ts (each command's usage lines and the
 * list, through main), tests/ctl/main_test.ts (-h on stdout, exit 0).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Command,
  COMMANDS,
  lookupCommand,
  OPTIONS,
} from "../../src/ctl/commands.ts";
import { commandHelp, USAGE } from "../../src/ctl/usage.ts";

/** Where the right column starts. */
const COLUMN = 30;

/** A command made up for the test; the rest as a plain one. */
const made = (over: Partial<Command>): Command => ({
  name: "x",
  aliases: [],
  prefixes: false,
  action: { kind: "list" },
  services: "none",
  options: [],
  textOnly: false,
  summary: "s",
  description: "d",
  ...over,
});

Deno.test("every row of the usage starts its summary at the same column", () => {
  const lines = USAGE.split("\n");
  const summaries = [
    ...COMMANDS.map((c) => c.summary),
    ...OPTIONS.map((o) => o.summary),
  ];
  for (const summary of summaries) {
    // The row whose right column is exactly this summary (one summary
    // may end another: "wait for services to be UP").
    const row = lines.find((l) => l.slice(COLUMN) === summary);
    assert.ok(row, summary);
    assert.equal(row[COLUMN - 1], " ", row);
    assert.ok(row.startsWith("  ") && row[2] !== " ", row);
  }
  assert.ok(
    lines.includes(
      `  -t, --timeout SECONDS${" ".repeat(7)}give up after SECONDS (exit 3)`,
    ),
  );
  // An option without a short name is its long name alone.
  assert.ok(lines.some((l) => l.startsWith("  --json ")));
  assert.ok(USAGE.endsWith("\n") && !USAGE.endsWith("\n\n"));
});

Deno.test("a description is wrapped within 76 columns at blanks, every word kept", () => {
  for (const c of COMMANDS) {
    const text = commandHelp(c);
    const body = text.split("\n\n")[1];
    for (const line of body.split("\n")) {
      assert.ok(line.length <= 76, `${c.name}: ${line}`);
      assert.ok(!line.startsWith(" ") && !line.endsWith(" "), line);
    }
    assert.equal(body.replaceAll("\n", " "), c.description, c.name);
  }
  // The break is at the last blank that fits: a line ends as late as it can.
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const body = commandHelp(made({ description: words.join(" ") }))
    .split("\n\n")[1].split("\n");
  for (const [i, line] of body.slice(0, -1).entries()) {
    const next = body[i + 1].split(" ")[0];
    assert.ok(line.length + 1 + next.length > 76, line);
  }
});

Deno.test("a word longer than the width is a line of its own, not broken", () => {
  const long = "a".repeat(90);
  const body = commandHelp(made({ description: `one ${long} two` }))
    .split("\n\n")[1];
  assert.equal(body, `one\n${long}\ntwo`);
  assert.equal(commandHelp(made({ description: long })).split("\n\n")[1], long);
});

Deno.test("options only for a command that has its own, each on its row", () => {
  const events = commandHelp(lookupCommand("events")!).split("\n\n");
  assert.deepEqual(events.at(-1)!.split("\n"), [
    "options:",
    `  --replay${
      " ".repeat(COLUMN - 10)
    }with events: start with the retained history`,
  ]);
  assert.ok(!commandHelp(lookupCommand("start")!).includes("options:"));
  // In the table's order, not the command's.
  const two = commandHelp(made({ options: ["force", "timeout"] }));
  const rows = two.slice(two.indexOf("options:")).split("\n").slice(1);
  assert.ok(rows[0].startsWith("  -t, --timeout SECONDS"), rows[0]);
  assert.ok(rows[1].startsWith("  --force "), rows[1]);
});

Deno.test("an alias is an `or:` line in the command's own order", () => {
  const lines = commandHelp(lookupCommand("s")!).split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "usage: nitroctl [-t SECONDS] [-v] [--json] rescan",
    "   or: nitroctl [-t SECONDS] [-v] [--json] scan",
    "   or: nitroctl [-t SECONDS] [-v] [--json] s",
  ]);
  assert.equal(lines[3], "");
});
