/**
 * Service directories by (device, inode) (src/daemon/dir_index.ts): paths
 * through symlinks and `..` resolve, instances share their template's
 * directory and are told apart by the hint, re-indexing moves and drops
 * names.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DirectoryIndex, pickService } from "../../src/daemon/dir_index.ts";

async function tree(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "nitro-index-" });
  for (const d of ["web", "db", "getty@", "other"]) {
    Deno.mkdirSync(join(root, d));
  }
  Deno.symlinkSync(join(root, "web"), join(root, "alias"));
  return root;
}

Deno.test("paths resolve by identity: direct, through a symlink, through ..", async () => {
  const root = await tree();
  try {
    const index = new DirectoryIndex();
    index.update([
      ["web", join(root, "web")],
      ["db", join(root, "db")],
      ["getty@tty1", join(root, "getty@")],
      ["getty@tty2", join(root, "getty@")],
    ]);
    assert.equal(index.size, 4);
    assert.deepEqual(await index.resolve(join(root, "web")), ["web"]);
    assert.deepEqual(await index.resolve(join(root, "alias")), ["web"]);
    assert.deepEqual(await index.resolve(join(root, "db", "..", "web")), [
      "web",
    ]);
    assert.deepEqual(
      (await index.resolve(join(root, "getty@"))).sort(),
      ["getty@tty1", "getty@tty2"],
    );
    assert.deepEqual(await index.resolve(join(root, "other")), []);
    assert.deepEqual(await index.resolve(join(root, "missing")), []);
    assert.deepEqual(await index.resolve(root), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("update adds and moves names; replace and forget drop them", async () => {
  const root = await tree();
  try {
    const index = new DirectoryIndex();
    index.update([["web", join(root, "web")], ["db", join(root, "db")]]);
    // A new instance alone: the others stay.
    index.update([["getty@tty1", join(root, "getty@")]]);
    assert.deepEqual(await index.resolve(join(root, "web")), ["web"]);
    assert.deepEqual(await index.resolve(join(root, "getty@")), [
      "getty@tty1",
    ]);
    // A name whose directory changed moves.
    index.update([["web", join(root, "other")]]);
    assert.deepEqual(await index.resolve(join(root, "web")), []);
    assert.deepEqual(await index.resolve(join(root, "other")), ["web"]);
    index.forget("web");
    assert.deepEqual(await index.resolve(join(root, "other")), []);
    // A directory that cannot be stat'ed is left out.
    index.update([["gone", join(root, "nope")]]);
    assert.equal(index.size, 2);
    index.replace([["db", join(root, "db")]]);
    assert.equal(index.size, 1);
    assert.deepEqual(await index.resolve(join(root, "getty@")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("replace indexes the directories as they are when first looked up", async () => {
  const root = await tree();
  try {
    const index = new DirectoryIndex();
    index.replace([["web", join(root, "web")], ["db", join(root, "db")]]);
    // Replaced by another directory (another inode) after the scan.
    Deno.removeSync(join(root, "alias"));
    Deno.removeSync(join(root, "web"));
    Deno.renameSync(join(root, "other"), join(root, "web"));
    assert.deepEqual(await index.resolve(join(root, "web")), ["web"]);
    assert.deepEqual(await index.resolve(join(root, "db")), ["db"]);
    assert.equal(index.size, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pickService: the hint, else the only one, else the plain service", () => {
  assert.equal(pickService(["a@1", "a@2"], "a@2"), "a@2");
  assert.equal(pickService(["a@1", "a@2"], "b"), null);
  assert.equal(pickService(["a@1", "a@2"], undefined), null);
  assert.equal(pickService(["a@1"], undefined), "a@1");
  assert.equal(pickService(["a@1", "web"], undefined), "web");
  assert.equal(pickService([], "web"), null);
});

Deno.test("pickService: after the hint, the service the path's last component names", () => {
  // `./web` beside a symlink `alias -> web`: web, as C nitroctl sends "web".
  assert.equal(pickService(["alias", "web"], undefined, "web"), "web");
  assert.equal(pickService(["alias", "web"], undefined, "alias"), "alias");
  assert.equal(pickService(["alias", "web"], "alias", "web"), "alias");
  // A template's directory names no instance, not even its only one (C
  // nitroctl sends "a@", no service); the hint still picks one.
  assert.equal(pickService(["a@1", "a@2"], undefined, "a@"), null);
  assert.equal(pickService(["a@1"], undefined, "a@"), null);
  assert.equal(pickService(["a@1"], "a@1", "a@"), "a@1");
});
