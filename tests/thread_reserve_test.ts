import assert from "node:assert/strict";
import { ThreadReserve } from "../src/daemon/thread_reserve.ts";

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
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  const reserve = new ThreadReserve();
  try {
    assert.equal(reserve.hold(), null);
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
  } finally {
    await reserve.close();
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("without $TMPDIR a reserve falls back to /run or /dev/shm", async () => {
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", "/nonexistent/nitro-reserve-test");
  const reserve = new ThreadReserve();
  try {
    assert.equal(reserve.hold(), null);
    assert.ok(reserve.held);
  } finally {
    await reserve.close();
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
  }
});
