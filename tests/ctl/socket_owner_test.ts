/**
 * Tests of src/ctl/socket_owner.ts: `checkSocketOwner` on a real socket
 * file in a temporary directory, owned by root, by nitroctl's user or by
 * another. The verdicts alone (`ownerVerdict`) and a root nitroctl run
 * against another user's socket are tested in tests/ctl/hygiene_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroError } from "../../src/client.ts";
import { checkSocketOwner, ownerVerdict } from "../../src/ctl/socket_owner.ts";

const isRoot = Deno.uid() === 0;
const OTHER = 65534;

/** A listening socket in a temporary directory, owned by `uid`. */
function withSocket(uid: number | null, fn: (path: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "socket_owner_test_" });
  const path = join(dir, "nitro.sock");
  const listener = Deno.listen({ transport: "unix", path });
  try {
    if (uid !== null) Deno.chownSync(path, uid, null);
    fn(path);
  } finally {
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("checkSocketOwner: one's own socket passes silently", () => {
  withSocket(null, (path) => {
    const warnings: string[] = [];
    checkSocketOwner(path, false, (l) => warnings.push(l));
    assert.deepEqual(warnings, []);
  });
});

Deno.test("checkSocketOwner: a path that cannot be looked at is left to the connection", () => {
  const warnings: string[] = [];
  checkSocketOwner("/nonexistent/nitro.sock", false, (l) => warnings.push(l));
  assert.deepEqual(warnings, []);
});

Deno.test({
  name:
    "checkSocketOwner: as root, another user's socket is refused, or with --force warned about",
  ignore: !isRoot,
  fn: () => {
    withSocket(OTHER, (path) => {
      const warnings: string[] = [];
      assert.throws(
        () => checkSocketOwner(path, false, (l) => warnings.push(l)),
        (e) =>
          e instanceof NitroError && e.code === "unreachable" &&
          e.message ===
            `socket ${path} belongs to uid ${OTHER}, not root: refusing to talk to it as root (--force to do it anyway)`,
      );
      assert.equal(warnings.length, 0);
      checkSocketOwner(path, true, (l) => warnings.push(l));
      assert.deepEqual(warnings, [
        `nitroctl: warning: socket ${path} belongs to uid ${OTHER}`,
      ]);
    });
  },
});

Deno.test("ownerVerdict: the messages name the path and the owner", () => {
  assert.deepEqual(ownerVerdict("/tmp/s", 1001, 1000, false), {
    kind: "warn",
    message: "warning: socket /tmp/s belongs to uid 1001",
  });
  assert.deepEqual(ownerVerdict("/tmp/s", 1001, 0, false), {
    kind: "refuse",
    message:
      "socket /tmp/s belongs to uid 1001, not root: refusing to talk to it as root (--force to do it anyway)",
  });
  // --force changes nothing for one's own or root's.
  assert.deepEqual(ownerVerdict("/tmp/s", 0, 1000, true), { kind: "ok" });
});
