/**
 * The one error-message helper: an Error's message, anything else as text;
 * the stack where there is one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { message, osMessage, stackOf } from "../src/errors.ts";

Deno.test("message: an Error's message, without its name or stack", () => {
  assert.equal(message(new TypeError("bad thing")), "bad thing");
  assert.equal(message(new Deno.errors.NotFound("gone")), "gone");
});

Deno.test("message: anything else as text", () => {
  assert.equal(message("plain"), "plain");
  assert.equal(message(42), "42");
  assert.equal(message(undefined), "undefined");
  assert.equal(message(null), "null");
});

Deno.test("stackOf: the stack of an Error, its message without one", () => {
  const err = new Error("with stack");
  assert.match(stackOf(err), /^Error: with stack\n\s+at /);
  const bare = new Error("no stack");
  bare.stack = undefined;
  assert.equal(stackOf(bare), "no stack");
  assert.equal(stackOf("text"), "text");
});

Deno.test("osMessage: Deno's os error suffix and the path after it go", async () => {
  const err = await Deno.stat("/nonexistent/nitro-test").catch((e) => e);
  assert.match(message(err), /\(os error 2\)/);
  assert.equal(osMessage(err), "No such file or directory");
  assert.equal(
    osMessage(new Error("Connection refused (os error 111)")),
    "Connection refused",
  );
  assert.equal(osMessage("plain (os error x)"), "plain (os error x)");
});
