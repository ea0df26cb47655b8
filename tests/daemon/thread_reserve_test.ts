import assert from "node:assert/strict";
import { ThreadReserve } from "../../src/daemon/thread_reserve.ts";

Deno.test("a reserve holds a FIFO read, wakes on kicks and lets go", async () => {
  const reserve = new ThreadReserve();
  assert.equal(reserve.hold(), null);
  assert.ok(reserve.held);
  assert.equal(reserve.hold(), null, "holding twice is harmless");
  // Kicks in a burst cost one byte: the next read takes them all.
  for (let i = 0; i < 1000; i++) reserve.kick();
  // Blocking work still runs, the reserve parked beside it.
  const info = await reserve.run(() => Deno.stat(import.meta.dirname!));
  assert.ok(info.isDirectory);
  await reserve.close();
  assert.equal(reserve.held, false);
  reserve.kick(); // after close: nothing to wake, no error
});

Deno.test("a reserve leaves nothing in the temporary directory", async () => {
  const tmp = await Deno.makeTempDir();
  const reserve = new ThreadReserve({ parents: [tmp] });
  try {
    assert.equal(reserve.hold(), null);
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
  } finally {
    await reserve.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

// Not by changing $TMPDIR: the environment is the whole test process's.
Deno.test("a reserve falls back to the next place it may use", async () => {
  const tmp = await Deno.makeTempDir();
  const reserve = new ThreadReserve({
    parents: ["/nonexistent/nitro-reserve-test", tmp],
  });
  try {
    assert.equal(reserve.hold(), null);
    assert.ok(reserve.held);
  } finally {
    await reserve.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
