/**
 * Descriptors nitro would hand to its services by mistake: those above 2
 * without close-on-exec, read from /proc/PID/fdinfo.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Children } from "../../src/daemon/children.ts";
import { inheritedFds, strayFds } from "../../src/daemon/inherited_fds.ts";

Deno.test("strayFds: fds above 2 whose flags lack O_CLOEXEC, sorted", () => {
  const listing = [
    "0 0100002", // stdio never counts
    "2 02",
    "12 02100000", // O_CLOEXEC set
    "9 0100002",
    "4 02",
    "",
    "junk line",
    "7 notoctal",
  ].join("\n");
  assert.deepEqual(strayFds(listing), [4, 9]);
  assert.deepEqual(strayFds(""), []);
});

Deno.test("inheritedFds: a descriptor opened without close-on-exec is found", async () => {
  // Deno opens everything close-on-exec; libc's open() without O_CLOEXEC
  // makes the leak this guards against.
  const libc = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const children = new Children();
  try {
    const before = await inheritedFds(children);
    const fd = libc.symbols.open(new TextEncoder().encode("/dev/null\0"), 0);
    assert.ok(fd > 2, `open: ${fd}`);
    try {
      const during = await inheritedFds(children);
      assert.deepEqual(during, [...before, fd].sort((a, b) => a - b));
    } finally {
      libc.symbols.close(fd);
    }
    assert.deepEqual(await inheritedFds(children), before);
  } finally {
    libc.close();
  }
});
