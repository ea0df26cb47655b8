/**
 * One table of signal words (src/config/signals.ts): first letters unique,
 * and every signal a client may ask for named once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SIGNAL_WORDS, signalOfLetter } from "../../src/config/signals.ts";
import { SIGNALS } from "../../src/protocol.ts";

Deno.test("signal words: unique first letters, every signal once", () => {
  const letters = SIGNAL_WORDS.map(([word]) => word[0]);
  assert.equal(new Set(letters).size, letters.length);
  assert.deepEqual(
    SIGNAL_WORDS.map(([, signal]) => signal).sort(),
    [...SIGNALS].sort(),
  );
  for (const [word, signal] of SIGNAL_WORDS) {
    assert.equal(signalOfLetter(word[0]), signal);
  }
  assert.equal(signalOfLetter("x"), null);
  assert.equal(signalOfLetter(""), null);
  assert.equal(signalOfLetter("hu"), null);
});
