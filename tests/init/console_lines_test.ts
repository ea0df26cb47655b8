/**
 * pid 1's last console lines in C nitro's words (src/init/console_lines.ts,
 * src/init/errno_words.ts). The sweep's own lines are checked on a real
 * pid 1 in pid1_reap_test.ts; a machine cannot be powered off here, so the
 * remount and power-off lines are checked as the words they are.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALL_GONE,
  powerLine,
  reincarnateFailedLine,
  remountLine,
  SENDING_SIGKILL,
  SENDING_SIGTERM,
} from "../../src/init/console_lines.ts";
import { errnoWords, failureWords } from "../../src/init/errno_words.ts";

/** An error as libc.ts throws them: with errno. */
const errnoError = (errno: number) =>
  Object.assign(new Error(`call: E${errno}`), { errno });

Deno.test("the last sweep and the power-off, word for word as nitro.c", () => {
  assert.equal(SENDING_SIGTERM, "- nitro: sending SIGTERM to all processes");
  assert.equal(SENDING_SIGKILL, "- nitro: sending SIGKILL to all processes");
  assert.equal(ALL_GONE, " done.\n");
  assert.equal(powerLine("shutdown"), "- nitro: system halt");
  assert.equal(powerLine("reboot"), "- nitro: system reboot");
  assert.equal(remountLine(null), "- nitro: remounted / read-only");
});

Deno.test("failures say errno as C nitro, and what it means", () => {
  assert.equal(
    remountLine(errnoError(16), "linux"),
    "- nitro: could not remount / read-only: errno=16 (Device or resource busy)",
  );
  assert.equal(
    reincarnateFailedLine(errnoError(8), "linux"),
    "- nitro: SYS/reincarnate failed to exec: errno=8 (Exec format error)",
  );
  assert.equal(
    reincarnateFailedLine(errnoError(13), "freebsd"),
    "- nitro: SYS/reincarnate failed to exec: errno=13 (Permission denied)",
  );
  // Numbers that differ between Linux and FreeBSD get words on Linux only.
  assert.equal(
    errnoWords(11, "linux"),
    "errno=11 (Resource temporarily unavailable)",
  );
  assert.equal(errnoWords(11, "freebsd"), "errno=11");
  assert.equal(errnoWords(4242, "linux"), "errno=4242");
  // Without errno: the message, with control characters escaped.
  assert.equal(failureWords(new Error("not pid 1")), "not pid 1");
  assert.equal(
    reincarnateFailedLine(new Error("bad\rname")),
    "- nitro: SYS/reincarnate failed to exec: bad\\rname",
  );
});
