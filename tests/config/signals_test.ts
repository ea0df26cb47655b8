/**
 * One table of signal words (src/config/signals.ts): first letters unique,
 * and every signal a client may ask for named once.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  SIGNAL_WORDS,
  signalNumber,
  signalOfLetter,
} from "../../src/config/signals.ts";
import { signalName } from "../../src/core/exit_status.ts";
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

Deno.test("signalNumber: kill(2)'s numbers for this OS", () => {
  const linux = Deno.build.os === "linux";
  assert.equal(signalNumber("SIGKILL"), 9);
  assert.equal(signalNumber("SIGUSR1"), linux ? 10 : 30);
  assert.equal(signalNumber("SIGSTOP"), linux ? 19 : 17);
  // On Linux the numbers agree with the names wait statuses are told by.
  if (linux) {
    for (const name of SIGNALS) {
      assert.equal(signalName(signalNumber(name)), name);
    }
  }
});
