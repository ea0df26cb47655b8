/**
 * The reference pages docs/nitro.8.md and docs/nitroctl.1.md keep up with
 * the code: every op, error code, state, signal, metric family and command
 * word the code knows is documented, and the pages link only inside the
 * repository.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import {
  ERROR_CODES,
  OPS,
  SIGNALS,
  STATES,
  WAIT_TARGETS,
} from "../src/protocol.ts";
import { COMMANDS, lookupCommand } from "../src/ctl/commands.ts";
import { formatMetrics } from "../src/ctl/metrics.ts";
import { USAGE } from "../src/ctl/usage.ts";
import { REPO_ROOT as ROOT } from "./helpers/common.ts";

const NITRO = join(ROOT, "docs/nitro.8.md");
const NITROCTL = join(ROOT, "docs/nitroctl.1.md");

/** Whether `text` has `word` as inline code. */
function mentions(text: string, word: string): boolean {
  return text.includes("`" + word + "`");
}

Deno.test("docs: nitroctl.1 documents every op, error code, wait target, signal", async () => {
  const text = await Deno.readTextFile(NITROCTL);
  for (const op of OPS) assert.ok(mentions(text, op), `op ${op}`);
  for (const code of ERROR_CODES) assert.ok(mentions(text, code), code);
  for (const w of WAIT_TARGETS) assert.ok(mentions(text, w), `wait ${w}`);
  for (const s of SIGNALS) assert.ok(text.includes(s), s);
  for (const field of ["errors", "hint", "replay", "verbose", "id"]) {
    assert.match(text, new RegExp(`\`${field}[?:\`]`), field);
  }
  for (const status of ["0", "1", "2", "3", "111"]) {
    assert.match(text, new RegExp(`^- \\*\\*${status}\\*\\*: `, "m"), status);
  }
});

Deno.test("docs: nitroctl.1 and the usage text document every command word", async () => {
  const text = await Deno.readTextFile(NITROCTL);
  const words = COMMANDS.flatMap((c) =>
    [c.name, ...c.aliases].map((w) => [w, c] as const)
  );
  assert.ok(words.length >= 35, words.join(" "));
  for (const [word, command] of words) {
    assert.equal(lookupCommand(word), command, `${word} names ${command.name}`);
    assert.ok(mentions(text, word), `nitroctl.1 documents ${word}`);
    assert.match(
      USAGE,
      new RegExp(`^  (\\S+, )*${word}[ ,]`, "m"),
      `usage lists ${word}`,
    );
  }
  for (const alias of ["halt", "poweroff", "reboot", "init 0", "init q"]) {
    assert.ok(mentions(text, alias), alias);
  }
});

Deno.test("docs: nitroctl.1 names every metric family", async () => {
  const text = await Deno.readTextFile(NITROCTL);
  const sample = formatMetrics([{
    name: "web",
    state: "UP",
    pid: 42,
    wstatus: 0,
    seconds: 7,
    uptime: 7,
    restarts: 0,
    lastExit: null,
    logger: null,
    readiness: "timer",
    reason: null,
  }], {
    pid: 1,
    protocol: 1,
    version: "0.1.0",
    services: 1,
    reaps: 9,
    svReaps: 7,
    fds: 12,
    rss: 4096,
    boot: 5,
    uptime: 61500,
    dir: "/etc/nitro",
    pid1: true,
  });
  const families = [...sample.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  assert.ok(families.length >= 5);
  for (const f of families) assert.ok(mentions(text, f), f);
});

Deno.test("docs: nitro.8 documents states, files, signals and SYS scripts", async () => {
  const text = await Deno.readTextFile(NITRO);
  for (const s of STATES) assert.match(text, new RegExp(`^\\| ${s} `, "m"), s);
  for (
    const word of [
      "setup",
      "run",
      "finish",
      "log",
      "down",
      "down-signal",
      "notification-fd",
      "SYS/setup",
      "SYS/finish",
      "SYS/final",
      "SYS/fatal",
      "SYS/reincarnate",
      "LOG",
      "LOG@",
      "NITRO_SOCK",
      "NITRO_SERVICE",
      "finish STATUS SIGNAL",
    ]
  ) {
    assert.ok(mentions(text, word), word);
  }
  for (const sig of ["SIGHUP", "SIGINT", "SIGTERM"]) {
    assert.ok(text.includes(sig), sig);
  }
});

Deno.test("docs: the pages link only to files inside the repository", async () => {
  for (const page of [NITRO, NITROCTL]) {
    const text = await Deno.readTextFile(page);
    assert.doesNotMatch(text, /shared\/spec|\.\.\/shared/);
    for (const [, target] of text.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const path = resolve(dirname(page), target);
      assert.ok(path.startsWith(ROOT), `${target} leaves the repository`);
      await Deno.stat(path); // Throws when the link is broken.
    }
  }
});
