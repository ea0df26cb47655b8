/**
 * Service names (src/config/names.ts), `notification-fd` parsing
 * (`readiness()` in src/config/scan.ts) and the bounded event history
 * (src/daemon/history.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  isTemplate,
  MAX_NAME_BYTES,
  nameProblem,
  splitInstance,
} from "../../src/config/names.ts";
import { readiness } from "../../src/config/scan.ts";

// --- names ------------------------------------------------------------------

Deno.test("valid names", () => {
  for (
    const name of [
      "web",
      "LOG",
      "LOG@",
      "agetty@tty1",
      "a",
      "with space",
      "dash-and_underscore.dot",
      "x".repeat(MAX_NAME_BYTES - 1),
    ]
  ) {
    assert.equal(nameProblem(name), null, name);
  }
});

Deno.test("names must be shorter than 64 bytes, counted in bytes", () => {
  assert.equal(MAX_NAME_BYTES, 64);
  assert.equal(nameProblem("x".repeat(63)), null);
  assert.match(nameProblem("x".repeat(64))!, /longer/);
  // "é" is two bytes: 31 of them plus one byte is 63 bytes, 32 are 64.
  assert.equal(nameProblem("é".repeat(31) + "a"), null);
  assert.match(nameProblem("é".repeat(32))!, /longer/);
});

Deno.test("invalid names: empty, leading dot, '/', ',' or newline", () => {
  assert.match(nameProblem("")!, /empty/);
  assert.match(nameProblem(".hidden")!, /'\.'/);
  assert.match(nameProblem(".")!, /'\.'/);
  assert.ok(nameProblem("a/b"));
  assert.ok(nameProblem("a,b"));
  assert.ok(nameProblem("a\nb"));
  assert.ok(nameProblem("\n"));
  // A dot elsewhere is fine.
  assert.equal(nameProblem("a.b."), null);
});

Deno.test("invalid names: every C0 control character and DEL", () => {
  for (let code = 0; code < 0x20; code++) {
    const hex = code.toString(16).padStart(2, "0");
    const name = `a${String.fromCharCode(code)}b`;
    // A newline has its own older message; every other one names the byte.
    if (code !== 0x0a) {
      assert.equal(
        nameProblem(name),
        `name contains the control character 0x${hex}`,
      );
    } else assert.ok(nameProblem(name));
  }
  assert.match(nameProblem("a\x7fb")!, /control character 0x7f/);
  // Terminal injection through an instance parameter, and a NUL.
  assert.match(nameProblem("tpl@a\x1b[2Jb")!, /0x1b/);
  assert.match(nameProblem("web\0")!, /0x00/);
  // The last printable ASCII character and non-ASCII text are fine.
  assert.equal(nameProblem("a~b"), null);
  assert.equal(nameProblem("café@tty1 ✓"), null);
});

Deno.test("invalid names: C1 controls and bidi overrides or isolates", () => {
  for (let code = 0x80; code <= 0x9f; code++) {
    const hex = code.toString(16);
    assert.equal(
      nameProblem(`a${String.fromCharCode(code)}b`),
      `name contains the control character 0x${hex}`,
    );
  }
  for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e]) {
    assert.match(nameProblem(`a${String.fromCharCode(code)}b`)!, /bidi/);
  }
  for (const code of [0x2066, 0x2067, 0x2068, 0x2069]) {
    assert.match(nameProblem(`tpl@${String.fromCharCode(code)}`)!, /bidi/);
  }
  // Their neighbours are ordinary text.
  assert.equal(nameProblem("a b c⁥d⁪e"), null);
});

Deno.test("invalid names: invalid UTF-8 (lone surrogates)", () => {
  assert.equal(nameProblem("a\ud800b"), "name is not valid UTF-8");
  assert.equal(nameProblem("\udc00"), "name is not valid UTF-8");
  assert.equal(nameProblem("x\ud83d"), "name is not valid UTF-8");
  // As the JSON protocol would deliver it.
  assert.equal(
    nameProblem(JSON.parse('"web\\ud800"')),
    "name is not valid UTF-8",
  );
  // A well-formed pair (an emoji) is valid.
  assert.equal(nameProblem("x\ud83d\ude00"), null);
});

Deno.test("templates end in @", () => {
  assert.equal(isTemplate("agetty@"), true);
  assert.equal(isTemplate("LOG@"), true);
  assert.equal(isTemplate("agetty@tty1"), false);
  assert.equal(isTemplate("web"), false);
});

Deno.test("splitInstance: NAME@PARAM into template and param", () => {
  assert.deepEqual(splitInstance("agetty@tty1"), {
    template: "agetty@",
    param: "tty1",
  });
  assert.deepEqual(splitInstance("LOG@web"), {
    template: "LOG@",
    param: "web",
  });
  // The first @ splits: the param may hold more of them.
  assert.deepEqual(splitInstance("LOG@agetty@tty1"), {
    template: "LOG@",
    param: "agetty@tty1",
  });
  assert.equal(splitInstance("web"), null);
  assert.equal(splitInstance("agetty@"), null, "a bare template");
});

// --- readiness --------------------------------------------------------------

Deno.test("readiness: no notification-fd → timer", () => {
  assert.deepEqual(readiness(null), { kind: "timer" });
});

Deno.test("readiness: N ≥ 1 → fd N, whitespace and newline allowed", () => {
  assert.deepEqual(readiness("3"), { kind: "fd", fd: 3 });
  assert.deepEqual(readiness("3\n"), { kind: "fd", fd: 3 });
  assert.deepEqual(readiness(" 4 \n"), { kind: "fd", fd: 4 });
  assert.deepEqual(readiness("1"), { kind: "fd", fd: 1 });
  assert.deepEqual(readiness("07"), { kind: "fd", fd: 7 });
  assert.deepEqual(readiness("1023"), { kind: "fd", fd: 1023 });
});

Deno.test("readiness: 0 → manual (only nitroctl ready)", () => {
  assert.deepEqual(readiness("0"), { kind: "manual" });
  assert.deepEqual(readiness("0\n"), { kind: "manual" });
  assert.deepEqual(readiness("000"), { kind: "manual" });
});

Deno.test("readiness: non-numeric → manual (stays STARTING)", () => {
  for (const text of ["", "\n", "abc", "3x", "-1", "1.5", "+3", "0x3"]) {
    assert.deepEqual(readiness(text), { kind: "manual" }, JSON.stringify(text));
  }
});
