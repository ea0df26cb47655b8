import assert from "node:assert/strict";
import { spawnFailure } from "../../src/daemon/spawn_error.ts";

/** The error Deno.Command throws when fork fails (as measured). */
function denoError(code: string, errno: number, text: string): Error {
  return Object.assign(
    new Error(`Failed to spawn '/usr/bin/setsid': ${text} (os error ${errno})`),
    { code },
  );
}

Deno.test("EAGAIN, ENOMEM and EMFILE are transient, with C nitro's errno", () => {
  for (
    const [code, errno, text] of [
      ["EAGAIN", 11, "Resource temporarily unavailable"],
      ["ENOMEM", 12, "Cannot allocate memory"],
      ["EMFILE", 24, "Too many open files"],
    ] as const
  ) {
    assert.deepEqual(spawnFailure(denoError(code, errno, text)), {
      type: "spawn-failed",
      reason: `errno=${errno}`,
      transient: true,
    });
  }
});

Deno.test("a missing script (Deno.Command's real error) is not transient", async () => {
  // A real EAGAIN needs a full pids cgroup: tests/e2e/pids_test.ts.
  const missing = await Deno.makeTempDir();
  try {
    new Deno.Command(`${missing}/nothing`).spawn();
    assert.fail("spawned a missing file");
  } catch (err) {
    const f = spawnFailure(err);
    assert.equal(f.transient, false);
    assert.match(f.reason, /nothing/);
  } finally {
    await Deno.remove(missing);
  }
});

Deno.test("other failures are not transient and keep their message", () => {
  assert.deepEqual(spawnFailure(new Error("run is not executable")), {
    type: "spawn-failed",
    reason: "run is not executable",
    transient: false,
  });
  assert.equal(spawnFailure("odd").reason, "odd");
});
