/**
 * SERVICE arguments as nitroctl sends them: names as given, paths made
 * absolute (symlinks resolved) with the hint; a path to nothing is an
 * error in C nitroctl's words, and nothing is sent.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroError } from "../../src/client.ts";
import { lexicalPath, resolveServices } from "../../src/ctl/services.ts";

Deno.test("resolveServices: names pass as they are, no hint without a path", () => {
  assert.deepEqual(resolveServices(["web", "tty@one"], "/cwd"), {
    services: ["web", "tty@one"],
  });
});

Deno.test("resolveServices: paths made absolute as C does, with the hint", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(join(dir, "web"));
    await Deno.mkdir(join(dir, "other", "deep"), { recursive: true });
    await Deno.mkdir(join(dir, "other", "x"));
    await Deno.symlink("web", join(dir, "alias"));
    await Deno.symlink("other/deep", join(dir, "down"));
    assert.deepEqual(
      resolveServices(
        [join(dir, "alias"), "db", `${dir}/./web`, `${dir}/down/../x`],
        "/etc/nitro",
      ),
      {
        // The symlink's own name (C nitroctl sends `alias`); `..` is taken
        // as a word, unless that names nothing (dir/x) and the real path
        // does (other/x).
        services: [
          join(dir, "alias"),
          "db",
          join(dir, "web"),
          join(dir, "other", "x"),
        ],
        hint: "/etc/nitro",
      },
    );
    assert.deepEqual(resolveServices([join(dir, "web")], undefined), {
      services: [join(dir, "web")],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveServices: a path to nothing is C's error, naming the first", () => {
  assert.throws(
    () => resolveServices(["web", "/nonexistent/a", "/nonexistent/b"], "h"),
    (error: unknown) => {
      assert.ok(error instanceof NitroError);
      assert.equal(error.code, "no-such-service");
      assert.equal(
        error.message,
        "no such service: /nonexistent/a: No such file or directory",
      );
      return true;
    },
  );
});

Deno.test("lexicalPath: absolute, `.` and `..` taken as words, as C does", () => {
  assert.equal(lexicalPath("/etc/nitro/../nitro/./web/"), "/etc/nitro/web");
  assert.equal(lexicalPath("/.."), "/");
  assert.ok(lexicalPath("web").endsWith("/web"));
});
