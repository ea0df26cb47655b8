/**
 * Reading service directories (src/config/scan.ts): why one cannot be
 * read is told, not taken for "gone"; option files are read bounded, from
 * regular files only; `log` targets must be valid names.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  probeFacts,
  readLogLink,
  readOption,
  unreadable,
} from "../../src/config/scan.ts";

Deno.test("unreadable: gone is gone; any other failure names its cause", () => {
  const root = Deno.makeTempDirSync({ prefix: "nitro-scan-" });
  try {
    const file = join(root, "file");
    Deno.writeTextFileSync(file, "");
    assert.equal(unreadable(root), null);
    assert.equal(unreadable(join(root, "none")), "service directory is gone");
    // Root reads any directory whatever its mode: a file stands in for a
    // directory that cannot be listed.
    assert.match(
      unreadable(file) ?? "",
      /^cannot read the service directory: Not a directory/,
    );
    assert.match(
      probeFacts(file).unreadable ?? "",
      /^cannot read the service directory: /,
    );
    assert.equal(probeFacts(root).unreadable, null);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("readOption: at most 64 bytes (down-signal: 1), regular files only", () => {
  const root = Deno.makeTempDirSync({ prefix: "nitro-scan-" });
  try {
    const at = (name: string) => join(root, name);
    assert.deepEqual(readOption(root, "down-signal"), {
      text: null,
      problem: null,
    });
    Deno.writeTextFileSync(at("notification-fd"), "3\n" + "x".repeat(500));
    assert.equal(
      readOption(root, "notification-fd").text,
      "3\n" + "x".repeat(62),
    );
    Deno.writeTextFileSync(at("real"), "hup\n");
    Deno.symlinkSync("real", at("down-signal"));
    assert.deepEqual(readOption(root, "down-signal"), {
      text: "h",
      problem: null,
    });
    Deno.removeSync(at("down-signal"));
    Deno.symlinkSync("/dev/zero", at("down-signal"));
    assert.match(
      readOption(root, "down-signal").problem!,
      /not a regular file \(a character device\)/,
    );
    Deno.removeSync(at("down-signal"));
    Deno.symlinkSync("gone", at("down-signal"));
    assert.deepEqual(readOption(root, "down-signal"), {
      text: null,
      problem: null,
    });
    Deno.removeSync(at("notification-fd"));
    Deno.mkdirSync(at("notification-fd"));
    assert.match(
      readOption(root, "notification-fd").problem!,
      /\(a directory\)/,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("readLogLink: a target that is no valid name is ignored", () => {
  const root = Deno.makeTempDirSync({ prefix: "nitro-scan-" });
  try {
    Deno.symlinkSync("../weblog", join(root, "log"));
    assert.equal(readLogLink(root), "weblog");
    Deno.removeSync(join(root, "log"));
    Deno.symlinkSync("../x\x1b]0;owned\x07", join(root, "log"));
    assert.equal(readLogLink(root), null);
    Deno.removeSync(join(root, "log"));
    Deno.symlinkSync("../a\u202eb", join(root, "log"));
    assert.equal(readLogLink(root), null);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
