/**
 * The shared test helpers of tests/helpers/common.ts: shell quoting,
 * /proc/PID/stat parsing, the repository root.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  linesOf,
  parseStat,
  procStat,
  readOr,
  REPO_ROOT,
  sh,
  shq,
} from "./common.ts";

Deno.test("shq: one shell word whatever it holds", async () => {
  const words = [
    "plain",
    "",
    "with space",
    "it's",
    "'",
    '$HOME `x` \\ "q"',
    "a\nb",
  ];
  const script = `for w in ${
    words.map(shq).join(" ")
  }; do printf '%s\\0' "$w"; done`;
  const out = await new Deno.Command("/bin/sh", { args: ["-c", script] })
    .output();
  const got = new TextDecoder().decode(out.stdout).split("\0").slice(0, -1);
  assert.deepEqual(got, words);
});

Deno.test("parseStat: a name with spaces and parentheses; fields by number", () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = "S";
  const s = parseStat(`42 (a (b) c) ${fields.join(" ")}\n`);
  assert.equal(s.pid, 42);
  assert.equal(s.comm, "a (b) c");
  assert.equal(s.state, "S");
  assert.equal(s.ppid, 4);
  assert.equal(s.pgrp, 5);
  assert.equal(s.session, 6);
  assert.equal(s.utime, 14);
  assert.equal(s.stime, 15);
  assert.equal(s.starttime, 22);
  assert.equal(s.fields[19], "22");
});

Deno.test("procStat: this process, and none for a pid that is not there", () => {
  const me = procStat(Deno.pid)!;
  assert.equal(me.pid, Deno.pid);
  assert.equal(me.ppid, Deno.ppid);
  assert.ok(me.starttime > 0);
  assert.equal(procStat(2 ** 30), null);
});

Deno.test("REPO_ROOT: the repository, ending in '/'", () => {
  assert.ok(REPO_ROOT.endsWith("/"));
  assert.ok(Deno.statSync(join(REPO_ROOT, "deno.json")).isFile);
  assert.ok(Deno.statSync(join(REPO_ROOT, "cli", "nitro.ts")).isFile);
});

Deno.test("sh, readOr, linesOf: a script's text; a file or ''; its non-empty lines", async () => {
  assert.equal(sh("a", "b"), "#!/bin/sh\na\nb\n");
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "f");
    assert.equal(readOr(path), "");
    assert.deepEqual(linesOf(path), []);
    Deno.writeTextFileSync(path, "one\n\ntwo\n");
    assert.equal(readOr(path), "one\n\ntwo\n");
    assert.deepEqual(linesOf(path), ["one", "two"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
