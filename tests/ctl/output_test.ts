/**
 * nitroctl's output: control characters in what it prints on stderr are
 * made visible, so a service name cannot drive the user's terminal.
 *
 * @module
 */

import assert from "node:assert/strict";
import { visible } from "../../src/ctl/output.ts";

Deno.test("visible: control characters become \\xNN; tab, newline, text and UTF-8 stay", () => {
  assert.equal(visible("a\x1b[31mred"), "a\\x1b[31mred");
  assert.equal(visible("nul\x00bel\x07del\x7f"), "nul\\x00bel\\x07del\\x7f");
  assert.equal(visible("cr\rlf\n"), "cr\\x0dlf\n");
  assert.equal(visible("tab\there"), "tab\there");
  assert.equal(visible("grüße ✓"), "grüße ✓");
});
