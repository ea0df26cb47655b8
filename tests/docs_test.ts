/**
 * The reference pages keep up with the code: docs/protocol.md documents
 * every op, error code, wait target, signal and request field;
 * docs/nitroctl.1.md every command word, exit status and metric family;
 * docs/nitro.8.md every state, service file and SYS script. Every page
 * under docs/ and the README link only inside the repository and cite no
 * outside document.
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
const PROTOCOL = join(ROOT, "docs/protocol.md");
const README = join(ROOT, "README.md");

/** Whether `text` has `word` as inline code. */
function mentions(text: string, word: string): boolean {
  return text.includes("`" + word + "`");
}

Deno.test("docs: protocol.md documents every op, error code, wait target, signal", async () => {
  const text = await Deno.readTextFile(PROTOCOL);
  for (const op of OPS) assert.ok(mentions(text, op), `op ${op}`);
  for (const code of ERROR_CODES) assert.ok(mentions(text, code), code);
  for (const w of WAIT_TARGETS) assert.ok(mentions(text, w), `wait ${w}`);
  for (const s of SIGNALS) assert.ok(text.includes(s), s);
  for (const field of ["errors", "hint", "replay", "verbose", "id"]) {
    assert.match(text, new RegExp(`\`${field}[?:\`]`), field);
  }
});

Deno.test("docs: nitroctl.1 documents every exit status and links the protocol", async () => {
  const text = await Deno.readTextFile(NITROCTL);
  for (const status of ["0", "1", "2", "3", "111"]) {
    assert.match(text, new RegExp(`^- \\*\\*${status}\\*\\*: `, "m"), status);
  }
  assert.ok(text.includes("](protocol.md)"));
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

/** Every page under docs/ and the README. */
async function pages(): Promise<string[]> {
  const found = [README];
  for await (const entry of Deno.readDir(join(ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      found.push(join(ROOT, "docs", entry.name));
    }
  }
  return found;
}

/** The anchors of a markdown page's headings, as GitHub makes them. */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    found.add(
      heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(
        " ",
        "-",
      ),
    );
  }
  return found;
}

/** A citation of a section of an outside spec; spelt so that it does not match itself. */
const CITATION = new RegExp("spec " + "§|§\\s*\\d");

Deno.test("docs: the pages link only to what is inside the repository", async () => {
  const all = await pages();
  for (const page of [NITRO, NITROCTL, PROTOCOL]) assert.ok(all.includes(page));
  for (const page of all) {
    const text = await Deno.readTextFile(page);
    assert.doesNotMatch(text, /shared\/spec|\.\.\/shared/, page);
    assert.doesNotMatch(text, CITATION, `${page} cites the spec`);
    for (
      const [, target, anchor] of text.matchAll(
        /\]\(([^)#\s]*)(?:#([^)\s]*))?\)/g,
      )
    ) {
      if (/^[a-z]+:/.test(target)) continue;
      const path = target === "" ? page : resolve(dirname(page), target);
      const where = `${page}: ${target}${anchor ? "#" + anchor : ""}`;
      assert.ok(path.startsWith(ROOT), `${where} leaves the repository`);
      const info = await Deno.stat(path).catch(() => null);
      assert.ok(info !== null, `${where}: no such file`);
      if (anchor === undefined) continue;
      assert.ok(path.endsWith(".md"), `${where}: an anchor into a non-page`);
      const headings = anchors(await Deno.readTextFile(path));
      assert.ok(headings.has(anchor), `${where}: no such heading`);
    }
  }
});

Deno.test("the code's comments say why in their own words, citing no section of an outside spec", async () => {
  const files: string[] = ["mod.ts"];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(ROOT, dir))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["src", "cli", "ci", "tests"]) await walk(dir);
  assert.ok(files.length > 100, `only ${files.length} files found`);
  for (const file of files) {
    const text = await Deno.readTextFile(join(ROOT, file));
    assert.doesNotMatch(text, CITATION, `${file} cites the spec`);
  }
});
