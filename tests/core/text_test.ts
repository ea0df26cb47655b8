/**
 * Tests of src/core/text.ts: foreign text made safe for one console line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { escapeControl } from "../../src/core/text.ts";

Deno.test("escapeControl: newline, return and tab by name, other controls as \\xHH", () => {
  assert.equal(escapeControl("a\nb\rc\td"), "a\\nb\\rc\\td");
  assert.equal(
    escapeControl("\x00\x01\x1b\x1f\x7f"),
    "\\x00\\x01\\x1b\\x1f\\x7f",
  );
});

Deno.test("escapeControl: printable text, backslashes and non-ASCII stay as they are", () => {
  const text = "/bin/sh -c 'echo \\n' é ✓ \u0080";
  assert.equal(escapeControl(text), text);
  assert.equal(escapeControl(""), "");
});

Deno.test("escapeControl: the result holds no control character, whatever came in", () => {
  const every = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i))
    .join("");
  const out = escapeControl(every);
  // deno-lint-ignore no-control-regex
  assert.equal(/[\x00-\x1f\x7f]/.test(out), false);
  // Printable ASCII comes through in order, between the escapes.
  assert.ok(out.includes(" !\"#$%&'()*+,-./0123456789"));
  assert.ok(out.endsWith("xyz{|}~\\x7f"));
});
