/**
 * The pure rescan plan (src/core/rescan.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type FoundService, planRescan } from "../../src/core/rescan.ts";

const found = (...names: string[]) =>
  new Map<string, FoundService>(
    names.map((name) => [name, { name, dir: `/s/${name}`, param: null }]),
  );

Deno.test("new entries are added, known ones kept", () => {
  const plan = planRescan(
    [{ name: "a", onDisk: true, idle: false }],
    { services: found("a", "b"), templates: new Set() },
    new Set(),
  );
  assert.deepEqual(plan.add.map((f) => f.name), ["b"]);
  assert.deepEqual(plan.keep.map((f) => f.name), ["a"]);
  assert.deepEqual(plan.remove, []);
  assert.deepEqual(plan.forget, []);
});

Deno.test("an entry gone from DIR is brought down and removed", () => {
  const plan = planRescan(
    [{ name: "a", onDisk: true, idle: false }],
    { services: found(), templates: new Set() },
    new Set(),
  );
  assert.deepEqual(plan.remove, ["a"]);
});

Deno.test("an in-memory instance: forgotten when DOWN and no logger", () => {
  const known = [
    { name: "sv@one", onDisk: false, idle: true },
    { name: "sv@two", onDisk: false, idle: false },
    { name: "LOG@one", onDisk: false, idle: true },
  ];
  const plan = planRescan(known, {
    services: found(),
    templates: new Set(["sv@", "LOG@"]),
  }, new Set(["LOG@one"]));
  assert.deepEqual(plan.forget, ["sv@one"]);
  assert.deepEqual(plan.remove, []);
});

Deno.test("an instance with an entry in DIR stays, even DOWN", () => {
  const plan = planRescan(
    [{ name: "sv@three", onDisk: true, idle: true }],
    { services: found("sv@three"), templates: new Set(["sv@"]) },
    new Set(),
  );
  assert.deepEqual(plan.keep.map((f) => f.name), ["sv@three"]);
  assert.deepEqual([...plan.forget, ...plan.remove], []);
});

Deno.test("the template gone: instances made by `up` are brought down", () => {
  const plan = planRescan(
    [
      { name: "sv@x", onDisk: false, idle: false },
      { name: "sv@y", onDisk: false, idle: true },
    ],
    { services: found(), templates: new Set() },
    new Set(["sv@y"]),
  );
  assert.deepEqual(plan.remove, ["sv@x", "sv@y"]);
});
