/**
 * Line framing (src/framing.ts): splitting on bytes, chunk boundaries
 * anywhere (inside a UTF-8 character too), the length bound, invalid UTF-8
 * told apart, and reading frames from a stream.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  encodeLine,
  type Frame,
  LineSplitter,
  readFrames,
  writeAll,
} from "../src/framing.ts";

const enc = new TextEncoder();

function texts(frames: Frame[]): string[] {
  return frames.map((f) => f.kind === "line" ? f.text : "<too-long>");
}

Deno.test("lines split at every possible chunk boundary, multi-byte characters whole", () => {
  const input = enc.encode('{"a":"é€😀"}\n\n{"op":"list"}\nrest');
  for (let cut = 0; cut <= input.length; cut++) {
    const split = new LineSplitter(100);
    const frames = [
      ...split.push(input.subarray(0, cut)),
      ...split.push(input.subarray(cut)),
    ];
    assert.deepEqual(texts(frames), ['{"a":"é€😀"}', "", '{"op":"list"}']);
    assert.ok(frames.every((f) => f.kind === "line" && !f.lossy));
    assert.equal(split.pending, 4, "the unfinished line is held");
  }
});

Deno.test("one byte at a time", () => {
  const split = new LineSplitter(100);
  const frames: Frame[] = [];
  for (const byte of enc.encode("añb\nc\n")) {
    frames.push(...split.push(Uint8Array.of(byte)));
  }
  assert.deepEqual(texts(frames), ["añb", "c"]);
});

Deno.test("the caller may reuse its buffer", () => {
  const split = new LineSplitter(100);
  const buffer = new Uint8Array(3);
  buffer.set(enc.encode("abc"));
  split.push(buffer);
  buffer.set(enc.encode("d\nx"));
  assert.deepEqual(texts(split.push(buffer)), ["abcd"]);
});

Deno.test("the bound: exactly maxBytes passes, one more is too-long, with or without a newline", () => {
  const split = new LineSplitter(8);
  assert.deepEqual(texts(split.push(enc.encode("12345678\n"))), ["12345678"]);
  assert.deepEqual(texts(split.push(enc.encode("123456789\nok\n"))), [
    "<too-long>",
  ]);
  assert.deepEqual(split.push(enc.encode("more\n")), [], "nothing after");

  const noNewline = new LineSplitter(8);
  assert.deepEqual(texts(noNewline.push(enc.encode("12345"))), []);
  assert.deepEqual(texts(noNewline.push(enc.encode("6789"))), ["<too-long>"]);
  assert.equal(noNewline.pending, 0, "nothing held after too-long");
});

Deno.test("invalid UTF-8 is decoded with U+FFFD and marked lossy, the next line is fine", () => {
  const split = new LineSplitter(100);
  const frames = split.push(
    Uint8Array.of(0x61, 0xff, 0x62, 0x0a, 0xc3, 0xa9, 0x0a),
  );
  assert.deepEqual(frames, [
    { kind: "line", text: "a\uFFFDb", lossy: true },
    { kind: "line", text: "é", lossy: false },
  ]);
});

Deno.test("readFrames: a stream of chunks, the unfinished last line dropped", async () => {
  const chunks = ["ab", "c\nd", "ef\n", "gh"].map((s) => enc.encode(s));
  const reader = {
    read(buffer: Uint8Array): Promise<number | null> {
      const chunk = chunks.shift();
      if (chunk === undefined) return Promise.resolve(null);
      buffer.set(chunk);
      return Promise.resolve(chunk.length);
    },
  };
  const frames: Frame[] = [];
  for await (const frame of readFrames(reader, 100, 4)) frames.push(frame);
  assert.deepEqual(texts(frames), ["abc", "def"]);
});

Deno.test("readFrames ends after too-long", async () => {
  let reads = 0;
  const reader = {
    read(buffer: Uint8Array): Promise<number | null> {
      reads++;
      buffer.fill(0x78);
      return Promise.resolve(buffer.length);
    },
  };
  const frames: Frame[] = [];
  for await (const frame of readFrames(reader, 10, 4)) frames.push(frame);
  assert.deepEqual(texts(frames), ["<too-long>"]);
  assert.equal(reads, 3);
});

Deno.test("encodeLine and writeAll over partial writes", async () => {
  const bytes = encodeLine({ op: "list", name: "é" });
  assert.equal(new TextDecoder().decode(bytes), '{"op":"list","name":"é"}\n');
  const out: number[] = [];
  await writeAll({
    write(chunk: Uint8Array) {
      out.push(chunk[0]); // One byte per call.
      return Promise.resolve(1);
    },
  }, bytes);
  assert.deepEqual(Uint8Array.from(out), bytes);
});
