/**
 * Where nitro and nitroctl meet: $NITRO_SOCK, else the target of the
 * /etc/nitro.sock link, else the platform's default.
 *
 * @module
 */

import assert from "node:assert/strict";
import { socketPath } from "../../src/config/socket_path.ts";

/** What /etc/nitro.sock points at on this machine, or null. */
function etcLink(): string | null {
  try {
    return Deno.readLinkSync("/etc/nitro.sock");
  } catch {
    return null;
  }
}

Deno.test("socketPath: $NITRO_SOCK wins over everything", () => {
  assert.equal(
    socketPath({ NITRO_SOCK: "/tmp/x/n.sock" }, "linux"),
    "/tmp/x/n.sock",
  );
  assert.equal(socketPath({ NITRO_SOCK: "rel.sock" }, "freebsd"), "rel.sock");
});

Deno.test("socketPath: an empty $NITRO_SOCK counts as unset", () => {
  assert.equal(
    socketPath({ NITRO_SOCK: "" }, "linux"),
    socketPath({}, "linux"),
  );
});

Deno.test("socketPath: without $NITRO_SOCK, the link or the OS's default", () => {
  const link = etcLink();
  assert.equal(socketPath({}, "linux"), link ?? "/run/nitro/nitro.sock");
  assert.equal(socketPath({}, "freebsd"), link ?? "/var/run/nitro/nitro.sock");
});

Deno.test("socketPath: the default reads the process's $NITRO_SOCK", () => {
  const before = Deno.env.get("NITRO_SOCK");
  try {
    Deno.env.set("NITRO_SOCK", "/tmp/from-env.sock");
    assert.equal(socketPath(), "/tmp/from-env.sock");
  } finally {
    if (before === undefined) Deno.env.delete("NITRO_SOCK");
    else Deno.env.set("NITRO_SOCK", before);
  }
});
