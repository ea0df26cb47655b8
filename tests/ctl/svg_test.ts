/**
 * Tests of src/ctl/svg.ts: the SVG document around every picture, text
 * escaped for XML (no name can break the document), coordinates rounded.
 * The pictures themselves are tested in tests/ctl/plot_test.ts and
 * tests/bench/chart_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { esc, FONT_FAMILY, round, svgDocument } from "../../src/ctl/svg.ts";

Deno.test("svgDocument: declaration, root with size and fonts, title, white page, body, end", () => {
  const svg = svgDocument(
    { width: 320, height: 200, title: "boot <web> & 'db'", fontSize: 12 },
    ['<line x1="0" y1="0" x2="1" y2="1"/>', '<text x="4" y="20">hi</text>'],
  );
  assert.equal(
    svg,
    [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="320" height="200" viewBox="0 0 320 200" font-family="${FONT_FAMILY}" font-size="12">`,
      `<title>boot &lt;web&gt; &amp; &apos;db&apos;</title>`,
      `<rect width="320" height="200" fill="#ffffff"/>`,
      `<line x1="0" y1="0" x2="1" y2="1"/>`,
      `<text x="4" y="20">hi</text>`,
      `</svg>`,
      ``,
    ].join("\n"),
  );
  assert.ok(!svg.includes("<script"));
});

Deno.test("esc: the five markup characters, & first so nothing is escaped twice", () => {
  assert.equal(
    esc(`<a href="x">&amp;'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&amp;amp;&apos;&lt;/a&gt;",
  );
  assert.equal(esc("plain text, é ✓"), "plain text, é ✓");
});

Deno.test("esc: characters XML 1.0 forbids become U+FFFD; tab, newlines and pairs stay", () => {
  assert.equal(
    esc("a\u0000b\u0008c\u000bd\u001fe"),
    "a\ufffdb\ufffdc\ufffdd\ufffde",
  );
  assert.equal(esc("\t\n\r"), "\t\n\r");
  assert.equal(esc("x\ufffey\uffff"), "x\ufffdy\ufffd");
  // A lone surrogate (high or low) is replaced; a pair is one character.
  assert.equal(esc("\ud800x"), "\ufffdx");
  assert.equal(esc("x\udc00"), "x\ufffd");
  assert.equal(esc("\ud83d\ude00"), "\ud83d\ude00");
  assert.equal(esc("\udc00\ud800"), "\ufffd\ufffd");
});

Deno.test("round: two decimals", () => {
  assert.equal(round(1.23456), 1.23);
  assert.equal(round(1.235), 1.24);
  assert.equal(round(-0.004), -0);
  assert.equal(round(10), 10);
  assert.equal(round(2 / 3), 0.67);
});
