/**
 * Tests of src/spat/codec.ts, C nitro's datagram protocol, byte by byte:
 * requests, records and frames, and what each kind of reply decodes to
 * (garbage: null, never an exception). tests/ctl/spat_client_test.ts has a
 * first round of these and talks to a real C nitro.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  decodeReply,
  encodeRequest,
  records,
  stateOfTag,
  TAG,
} from "../../src/spat/codec.ts";
import { STATES } from "../../src/protocol.ts";

const u32 = (
  n: number,
) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
const rec = (tag: number, payload: number[]) => [
  payload.length & 0xff,
  payload.length >> 8,
  tag,
  ...payload,
];
const ascii = (s: string) => [...new TextEncoder().encode(s)];
const OPEN = (tag: number) => [0xff, 0xff, tag];
const CLOSE = (tag: number) => [0xfe, 0xff, tag];
const decode = (bytes: number[]) => decodeReply(new Uint8Array(bytes));

/** A service frame as C nitro's list sends it (name with its NUL). */
function frame(
  name: string,
  state: number,
  pid: number,
  wstatus: number,
  uptime: number,
) {
  return [
    ...OPEN(TAG.service),
    ...rec(TAG.name, [...ascii(name), 0]),
    ...rec(TAG.state, [state]),
    ...rec(TAG.pid, u32(pid)),
    ...rec(TAG.wstatus, u32(wstatus)),
    ...rec(TAG.uptime, u32(uptime)),
    ...CLOSE(TAG.service),
  ];
}

Deno.test("encodeRequest: length in two bytes, little-endian, counting UTF-8 bytes", () => {
  assert.deepEqual([...encodeRequest(TAG.info)], [0, 0, 123]);
  assert.deepEqual([...encodeRequest(TAG.up, "é")], [2, 0, 120, 0xc3, 0xa9]);
  const long = encodeRequest(TAG.query, "x".repeat(300));
  assert.deepEqual([...long.subarray(0, 3)], [300 & 0xff, 1, 125]);
  assert.equal(long.length, 303);
  // A signal's number goes before the name, and counts in the length.
  assert.deepEqual([...encodeRequest(TAG.signal, "", 9)], [1, 0, 129, 9]);
});

Deno.test("records: values, frame marks, empty payloads; a truncated one makes it null", () => {
  const bytes = [...OPEN(100), ...rec(101, [97]), ...rec(7, []), ...CLOSE(100)];
  assert.deepEqual(records(new Uint8Array(bytes)), [
    { kind: "open", tag: 100 },
    { kind: "value", tag: 101, payload: new Uint8Array([97]) },
    { kind: "value", tag: 7, payload: new Uint8Array([]) },
    { kind: "close", tag: 100 },
  ]);
  assert.deepEqual(records(new Uint8Array()), []);
  assert.equal(records(new Uint8Array([0, 0])), null, "a header cut short");
  assert.equal(
    records(new Uint8Array([2, 0, 80, 1])),
    null,
    "a payload cut short",
  );
  assert.equal(records(new Uint8Array([0, 1, 80, ...new Array(255)])), null);
});

Deno.test("stateOfTag: tags 1 to 9 are the states, in order; others none", () => {
  assert.deepEqual(
    STATES.map((_, i) => stateOfTag(i + 1)),
    [...STATES],
  );
  assert.equal(stateOfTag(0), undefined);
  assert.equal(stateOfTag(10), undefined);
  assert.equal(stateOfTag(TAG.ok), undefined);
});

Deno.test("decodeReply: the one-record answers and notifications", () => {
  assert.deepEqual(decode(rec(TAG.notImplemented, [])), {
    kind: "not-implemented",
  });
  assert.deepEqual(decode(rec(4, ascii("a/b"))), {
    kind: "state",
    state: "UP",
    name: "a/b",
  });
  // An ok with a payload, a state with a second record, or with no name:
  // none makes sense.
  assert.equal(decode(rec(TAG.ok, [1])), null);
  assert.equal(decode([...rec(4, ascii("a")), ...rec(4, ascii("b"))]), null);
  assert.equal(decode(rec(4, [])), null);
  assert.equal(decode(CLOSE(TAG.service)), null);
  assert.equal(decode(OPEN(TAG.name)), null);
});

Deno.test("decodeReply: a query's facts; wait status signed, pid and uptime unsigned", () => {
  const reply = [
    ...rec(TAG.state, [8]),
    ...rec(TAG.pid, u32(0xffffffff)),
    ...rec(TAG.wstatus, u32(0xffffffff)),
    ...rec(TAG.uptime, u32(0x80000000)),
  ];
  assert.deepEqual(decode(reply), {
    kind: "query",
    service: {
      state: "FATAL",
      pid: 4294967295,
      wstatus: -1,
      uptime: 2147483648,
    },
  });
  // Without wstatus and uptime they are 0; without a pid it is no answer.
  assert.deepEqual(decode([...rec(TAG.state, [1]), ...rec(TAG.pid, u32(0))]), {
    kind: "query",
    service: { state: "DOWN", pid: 0, wstatus: 0, uptime: 0 },
  });
  assert.equal(decode(rec(TAG.state, [1])), null);
  assert.equal(
    decode([...rec(TAG.state, [42]), ...rec(TAG.pid, u32(1))]),
    null,
  );
});

Deno.test("decodeReply: a list in the order sent; records outside frames skipped", () => {
  const bytes = [
    ...frame("b", 4, 7, 0, 3),
    ...rec(200, [1, 2]), // Not in a frame: skipped.
    ...frame("a", 1, 0, 256, 9),
  ];
  assert.deepEqual(decode(bytes), {
    kind: "list",
    services: [
      { name: "b", state: "UP", pid: 7, wstatus: 0, uptime: 3 },
      { name: "a", state: "DOWN", pid: 0, wstatus: 256, uptime: 9 },
    ],
  });
  // A frame without a name, or without a pid, spoils the list.
  const nameless = [
    ...OPEN(TAG.service),
    ...rec(TAG.state, [4]),
    ...rec(TAG.pid, u32(1)),
    ...CLOSE(TAG.service),
  ];
  assert.equal(decode(nameless), null);
  // A frame opened with another tag is no list.
  assert.equal(decode([...OPEN(99), ...CLOSE(99)]), null);
});

Deno.test("decodeReply: an info's values by tag, in the order sent; a value of another size spoils it", () => {
  assert.deepEqual(
    decode([
      ...rec(TAG.nitroPid, u32(1)),
      ...rec(TAG.totalReaps, u32(70000)),
      ...rec(250, u32(5)),
    ]),
    { kind: "info", values: [[106, 1], [108, 70000], [250, 5]] },
  );
  assert.equal(
    decode([...rec(TAG.nitroPid, u32(1)), ...rec(TAG.maxService, [1, 2])]),
    null,
  );
});

Deno.test("decodeReply: random bytes never throw", () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(i % 64));
    const reply = decodeReply(bytes);
    assert.ok(reply === null || typeof reply.kind === "string");
  }
});
