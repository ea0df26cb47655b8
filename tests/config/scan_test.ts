/**
 * Reading service directories (src/config/scan.ts): why one cannot be
 * read is told, not taken for "gone".
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { probeFacts, unreadable } from "../../src/config/scan.ts";

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
