/**
 * The schema combinators (src/schema.ts): what each accepts, the problem
 * it reports and where, and objects rebuilt without unknown fields.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  array,
  boolean,
  described,
  either,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  partial,
  record,
  type Schema,
  string,
} from "../src/schema.ts";

/** The problem `schema` reports for `value`. */
function problem<T>(schema: Schema<T>, value: unknown): string {
  const parsed = schema.parse(value);
  assert.equal(parsed.ok, false, JSON.stringify(value));
  return parsed.ok ? "" : parsed.problem;
}

function value<T>(schema: Schema<T>, input: unknown): T {
  const parsed = schema.parse(input);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

Deno.test("schema: scalars", () => {
  assert.equal(value(string, "a"), "a");
  assert.equal(problem(string, 1), "not a string");
  assert.equal(value(number, 1.5), 1.5);
  for (const bad of [NaN, Infinity, "1", null]) {
    assert.equal(problem(number, bad), "not a number");
  }
  assert.equal(value(boolean, false), false);
  assert.equal(problem(boolean, 0), "not a boolean");
  assert.equal(value(literal(false), false), false);
  assert.equal(problem(literal(false), true), "not false");
  const color = oneOf(["red", "blue"], "a color");
  assert.equal(value(color, "red"), "red");
  assert.equal(problem(color, "green"), "not a color");
});

Deno.test("schema: either, nullable, optional", () => {
  const id = either(string, number);
  assert.equal(value(id, "x"), "x");
  assert.equal(value(id, 3), 3);
  assert.equal(problem(id, {}), "not a number");
  assert.equal(value(nullable(number), null), null);
  assert.equal(problem(nullable(number), undefined), "not a number");
  assert.equal(value(optional(number), undefined), undefined);
  assert.equal(problem(optional(number), null), "not a number");
});

Deno.test("schema: objects keep their fields, drop others, say where a problem is", () => {
  interface Item {
    name: string;
    tags: string[];
    note?: string;
    owner: { id: number | null };
  }
  const item = object<Item>({
    name: string,
    tags: array(string),
    note: optional(string),
    owner: object<Item["owner"]>({ id: nullable(number) }),
  });
  assert.deepEqual(
    value(item, { name: "a", tags: [], owner: { id: null }, junk: 1 }),
    { name: "a", tags: [], owner: { id: null } },
  );
  assert.deepEqual(
    value(item, { name: "a", tags: ["x"], note: "n", owner: { id: 2 } }),
    { name: "a", tags: ["x"], note: "n", owner: { id: 2 } },
  );
  assert.equal(problem(item, []), "not an object");
  assert.equal(problem(item, null), "not an object");
  assert.equal(problem(item, { tags: [] }), "name: not a string");
  assert.equal(
    problem(item, { name: "a", tags: ["x", 2], owner: { id: 1 } }),
    "tags: [1] not a string",
  );
  assert.equal(
    problem(item, { name: "a", tags: [], owner: { id: "1" } }),
    "owner: id: not a number",
  );
});

Deno.test("schema: records, lists, partial shapes", () => {
  const pids = record(nullable(number));
  assert.deepEqual(value(pids, { a: 1, b: null }), { a: 1, b: null });
  assert.equal(problem(pids, { a: "1" }), "a: not a number");
  assert.equal(problem(pids, [1]), "not an object");
  assert.equal(problem(array(number), {}), "not a list");
  const loose = object<{ a?: number; b?: string }>(
    partial<{ a: number; b: string }>({ a: number, b: string }),
  );
  assert.deepEqual(value(loose, {}), {});
  assert.deepEqual(value(loose, { b: "x" }), { b: "x" });
  assert.equal(problem(loose, { a: "1" }), "a: not a number");
});

Deno.test("schema: a described schema says its own message, wherever it is", () => {
  const names = described(array(string), "services must be a list of names");
  assert.equal(problem(names, [1]), "services must be a list of names");
  const request = object<{ services: string[] }>({ services: names });
  assert.equal(
    problem(request, { services: "a" }),
    "services must be a list of names",
  );
  const signal = described(
    oneOf(["SIGHUP"], "a signal"),
    (v) => `unknown signal ${JSON.stringify(v)}`,
  );
  assert.equal(problem(signal, "SIGFOO"), 'unknown signal "SIGFOO"');
});
