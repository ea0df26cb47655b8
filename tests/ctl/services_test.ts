/**
 * SERVICE arguments as nitroctl sends them: names as given, paths made
 * absolute (symlinks resolved) with the hint, paths to nothing reported
 * per argument while the rest still go; nothing left is an error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroError } from "../../src/client.ts";
import { resolveServices } from "../../src/ctl/services.ts";

Deno.test("resolveServices: names pass as they are, no hint without a path", () => {
  assert.deepEqual(resolveServices(["web", "tty@one"], "/cwd"), {
    services: ["web", "tty@one"],
  });
});

Deno.test("resolveServices: paths resolved to real paths, with the hint", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(join(dir, "web"));
    await Deno.symlink("web", join(dir, "alias"));
    assert.deepEqual(
      resolveServices([join(dir, "alias"), "db", `${dir}/./web`], "/etc/nitro"),
      {
        services: [join(dir, "web"), "db", join(dir, "web")],
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

Deno.test("resolveServices: a path to nothing is reported, the rest still go", () => {
  assert.deepEqual(resolveServices(["/nonexistent/x", "web"], "h"), {
    services: ["web"],
    hint: "h",
    errors: [{
      service: "/nonexistent/x",
      code: "no-such-service",
      message: "no such service",
    }],
  });
});

Deno.test("resolveServices: only paths to nothing is an error naming the first", () => {
  assert.throws(
    () => resolveServices(["/nonexistent/a", "/nonexistent/b"], "h"),
    (error: unknown) => {
      assert.ok(error instanceof NitroError);
      assert.equal(error.code, "no-such-service");
      assert.equal(error.service, "/nonexistent/a");
      return true;
    },
  );
});
