/**
 * The bounded write queue (src/daemon/write_queue.ts) behind the console
 * and every control connection: order, the byte bound, one write for what
 * piled up, progress and its absence, a failing sink.
 *
 * @module
 */

import assert from "node:assert/strict";
import { WriteQueue } from "../../src/daemon/write_queue.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A sink whose writes wait for `release()`; it records what it took. */
function gate() {
  const writes: string[] = [];
  let open = Promise.withResolvers<void>();
  return {
    writes,
    release() {
      open.resolve();
      open = Promise.withResolvers<void>();
    },
    async write(chunk: Uint8Array): Promise<number> {
      await open.promise;
      writes.push(new TextDecoder().decode(chunk));
      return chunk.length;
    },
  };
}

Deno.test("write queue: bounded in bytes; one chunk always fits an empty queue", async () => {
  const sink = gate();
  const queue = new WriteQueue(sink, { maxBytes: 10 });
  assert.equal(queue.push(bytes("a".repeat(25))), true, "alone, it fits");
  assert.equal(queue.queued, 25);
  assert.equal(queue.push(bytes("b")), false, "over the bound: refused");
  sink.release();
  assert.equal(await queue.drained(1000), true);
  assert.equal(queue.queued, 0);
  assert.equal(queue.push(bytes("c".repeat(6))), true);
  assert.equal(queue.push(bytes("d".repeat(4))), true, "10 bytes: fits");
  assert.equal(queue.push(bytes("e")), false);
  sink.release();
  await queue.moved(1000);
  sink.release();
  assert.equal(await queue.drained(1000), true);
  assert.deepEqual(sink.writes, ["a".repeat(25), "c".repeat(6), "dddd"]);
});

Deno.test("write queue: what piles up during a write goes out as one write, in order", async () => {
  const sink = gate();
  const queue = new WriteQueue(sink, { maxBytes: 100 });
  queue.push(bytes("1"));
  for (const text of ["2", "3", "4"]) queue.push(bytes(text));
  sink.release();
  await queue.moved(1000);
  sink.release();
  assert.equal(await queue.drained(1000), true);
  assert.deepEqual(sink.writes, ["1", "234"]);
});

Deno.test("write queue: moved and drained tell a stopped sink from a slow one", async () => {
  const sink = gate();
  const queue = new WriteQueue(sink, { maxBytes: 100 });
  assert.equal(await queue.moved(10), true, "nothing to write: at once");
  queue.push(bytes("x"));
  assert.equal(await queue.moved(50), false, "stopped");
  assert.equal(await queue.drained(50), false, "stopped");
  sink.release();
  assert.equal(await queue.drained(1000), true);
});

Deno.test("write queue: onEmpty may push more; clear drops what waits", async () => {
  const sink = gate();
  let notes = 0;
  const queue = new WriteQueue(sink, {
    maxBytes: 100,
    onEmpty: () => {
      if (notes++ === 0) queue.push(bytes("note"));
    },
  });
  queue.push(bytes("a"));
  queue.push(bytes("b"));
  queue.clear();
  assert.equal(queue.queued, 1, "the write in progress stays");
  sink.release();
  await queue.moved(1000);
  sink.release();
  assert.equal(await queue.drained(1000), true);
  assert.deepEqual(sink.writes, ["a", "note"]);
});

Deno.test("write queue: a failing sink ends the writing; what follows is discarded", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const queue = new WriteQueue({
    write() {
      calls++;
      return Promise.reject(new Deno.errors.BrokenPipe("gone"));
    },
  }, { maxBytes: 100, onError: (err) => errors.push(err) });
  queue.push(bytes("a"));
  assert.equal(await queue.drained(1000), true);
  assert.equal(queue.broken, true);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof Deno.errors.BrokenPipe);
  assert.equal(queue.push(bytes("b")), true, "taken, and dropped");
  assert.equal(await queue.drained(1000), true);
  assert.equal(calls, 1);
  assert.equal(queue.queued, 0);
});
