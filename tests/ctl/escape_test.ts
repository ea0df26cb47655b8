/**
 * escapeText and escapeLines at the edges of what they escape: the
 * boundaries of each range, surrogates paired and not, and the newlines
 * escapeLines keeps. Also tested: tests/ctl/hygiene_test.ts (the common
 * cases, and nitroctl escaping what a hostile socket sends).
 *
 * @module
 */

import assert from "node:assert/strict";
import { escapeLines, escapeText } from "../../src/ctl/escape.ts";

Deno.test("each unsafe range is escaped up to its edge, and not past it", () => {
  // C0: NUL is padded to two digits; tab alone is kept.
  assert.equal(escapeText("\x00"), "\\x00");
  assert.equal(escapeText("\x08\t\x0b"), "\\x08\t\\x0b");
  assert.equal(escapeText("\x1f \x20"), "\\x1f  ");
  // DEL and C1, through 0x9f; NBSP (0xa0) is text.
  assert.equal(escapeText("~\x7f"), "~\\x7f");
  assert.equal(escapeText("\x80\x9f\xa0"), "\\x80\\x9f\xa0");
  // Bidi embeddings and overrides (202a-202e), isolates (2066-2069).
  assert.equal(escapeText("\u2029\u202a"), "\u2029\\u202a");
  assert.equal(escapeText("\u202e\u202f"), "\\u202e\u202f");
  assert.equal(escapeText("\u2065\u2066"), "\u2065\\u2066");
  assert.equal(escapeText("\u2069\u206a"), "\\u2069\u206a");
});

Deno.test("a surrogate pair is a character; a lone half is escaped", () => {
  assert.equal(escapeText("\ud83d\ude00"), "\ud83d\ude00");
  // A low half alone, at the start, the end, or after a non-surrogate.
  assert.equal(escapeText("\udc00"), "\\udc00");
  assert.equal(escapeText("x\udfff"), "x\\udfff");
  // A high half at the very end.
  assert.equal(escapeText("x\udbff"), "x\\udbff");
  // Reversed halves are two lone halves.
  assert.equal(escapeText("\ude00\ud83d"), "\\ude00\\ud83d");
  // Two high halves then a low one: the first is lone, the second pairs.
  assert.equal(escapeText("\ud800\ud83d\ude00"), "\\ud800\ud83d\ude00");
});

Deno.test("every unsafe character is escaped, not just the first", () => {
  assert.equal(escapeText("\x1b\x1b\x07"), "\\x1b\\x1b\\x07");
  assert.equal(escapeText(""), "");
});

Deno.test("escapeLines keeps the newlines and escapes each line", () => {
  assert.equal(escapeLines("a\x1bb\nc\rd"), "a\\x1bb\nc\\x0dd");
  assert.equal(escapeLines("\n\n"), "\n\n");
  assert.equal(escapeLines("one"), "one");
  // A CR before the newline does not hide it: CRLF shows the CR.
  assert.equal(escapeLines("x\r\ny"), "x\\x0d\ny");
});
