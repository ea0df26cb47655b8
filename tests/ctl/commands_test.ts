/**
 * The command table as a table: every word names one command, a signal
 * command answers to each prefix no full word takes, every option a
 * command names exists, and operands() in each shape. Also tested:
 * tests/ctl/nitroctl_test.ts (full names over prefixes), tests/ctl/args_test.ts
 * (the parser built on lookupCommand), tests/ctl/help_test.ts (the usage
 * made from the table), tests/ctl/completion/ (the completions made from it).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Command,
  COMMANDS,
  lookupCommand,
  operands,
  OPTIONS,
  SHELLS,
} from "../../src/ctl/commands.ts";
import { SIGNAL_WORDS } from "../../src/config/signals.ts";

/** Every full word of the table: names and aliases. */
const WORDS = COMMANDS.flatMap((c) => [c.name, ...c.aliases]);

Deno.test("no two commands share a word, and each word finds its own", () => {
  assert.equal(new Set(WORDS).size, WORDS.length, WORDS.join(" "));
  for (const c of COMMANDS) {
    for (const word of [c.name, ...c.aliases]) {
      assert.strictEqual(lookupCommand(word), c, word);
    }
  }
});

Deno.test("a signal command answers to every prefix no full word takes", () => {
  const signals = COMMANDS.filter((c) => c.prefixes);
  assert.deepEqual(
    signals.map((c) => c.name),
    SIGNAL_WORDS.map(([word]) => word),
  );
  for (const c of signals) {
    for (let n = 1; n <= c.name.length; n++) {
      const prefix = c.name.slice(0, n);
      const found = lookupCommand(prefix);
      const other = prefix !== c.name && WORDS.includes(prefix);
      if (other) assert.notStrictEqual(found, c, prefix);
      else assert.strictEqual(found, c, prefix);
    }
  }
  // Two signal words that start alike: the first in the table wins, and
  // signal words' first letters are unique so a letter is never ambiguous.
  const letters = signals.map((c) => c.name[0]);
  assert.equal(new Set(letters).size, letters.length);
  // `in` could be info or interrupt: info takes no prefixes.
  assert.equal(lookupCommand("in")?.name, "interrupt");
  assert.equal(lookupCommand("inf"), undefined);
});

Deno.test("only signal commands take prefixes; longer words and other cases are nothing", () => {
  assert.equal(lookupCommand("sta"), undefined); // status, start: no prefixes
  assert.equal(lookupCommand("Shut"), undefined);
  assert.equal(lookupCommand("Kill"), undefined); // case counts
  assert.equal(lookupCommand("terms"), undefined);
  assert.equal(lookupCommand("l "), undefined); // no trimming
  for (const c of COMMANDS) {
    assert.equal(c.prefixes, c.action.kind === "signal", c.name);
  }
});

Deno.test("each command's options exist, and short letters are unique", () => {
  const names = OPTIONS.map((o) => o.name);
  for (const c of COMMANDS) {
    for (const o of c.options) assert.ok(names.includes(o), `${c.name}: ${o}`);
  }
  assert.equal(new Set(names).size, names.length);
  const shorts = OPTIONS.flatMap((o) => o.short ? [o.short] : []);
  assert.equal(new Set(shorts).size, shorts.length);
});

Deno.test("a change without a wait has no wait key (it would be sent as null)", () => {
  const up = lookupCommand("up")!.action;
  assert.deepEqual(up, { kind: "change", op: "up" });
  assert.ok(!("wait" in up));
  assert.deepEqual(lookupCommand("fast-restart")!.action, {
    kind: "change",
    op: "restart",
    wait: "starting",
  });
  assert.deepEqual(lookupCommand("restart")!.action, {
    kind: "change",
    op: "restart",
    wait: "up",
  });
});

Deno.test("operands: options, then SERVICEs, then the fixed word", () => {
  const shapes = new Map(COMMANDS.map((c) => [c.name, operands(c)]));
  assert.equal(shapes.get("list"), "[SERVICE...]");
  assert.equal(shapes.get("start"), "SERVICE...");
  assert.equal(shapes.get("info"), "");
  assert.equal(shapes.get("events"), "[--replay]");
  assert.equal(shapes.get("completion"), SHELLS.join("|"));
  // All at once, in that order.
  const made: Command = {
    name: "x",
    aliases: [],
    prefixes: false,
    action: { kind: "list" },
    services: "optional",
    operand: { name: "W", choices: ["a", "b"] },
    options: ["replay", "force"],
    textOnly: false,
    summary: "",
    description: "",
  };
  assert.equal(operands(made), "[--replay] [--force] [SERVICE...] a|b");
});
