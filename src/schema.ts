/**
 * Schemas: checks at run time that the compiler holds to a TypeScript type,
 * so that the type and its check cannot drift apart. An {@link object}
 * schema of `T` needs a schema for every field of `T`, of that field's
 * type, {@link optional} exactly where the field is, and no other field.
 * (The types are written out, not inferred from the schemas: a published
 * module's types must be explicit.) Small on purpose: what the control
 * protocol needs, nothing more.
 *
 * Objects keep only the fields their schema names (unknown fields are
 * dropped, so a newer peer's additions are ignored), and a field the schema
 * marks {@link optional} may be absent. A problem says where it is
 * (`services: [0] state: not a state`), unless a schema was given a
 * message of its own with {@link described}.
 *
 * @example
 * ```ts
 * import { array, number, object, optional, string } from "./schema.ts";
 * interface Point { name: string; at: number[]; note?: string }
 * const point = object<Point>({
 *   name: string,
 *   at: array(number),
 *   note: optional(string), // leaving it out, or not optional, fails to compile
 * });
 * const parsed = point.parse({ name: "a", at: [1, "2"] });
 * console.assert(!parsed.ok && parsed.problem === "at: [1] not a number");
 * ```
 *
 * @module
 */

/** Where a value failed, and why. */
interface Failure {
  /** Object keys and list indexes from the outside in. */
  path: (string | number)[];
  message: string;
  /** A message of its own (see {@link described}): said without the path. */
  whole: boolean;
}

/** Outcome of checking a value. */
export type Parsed<T> =
  | { ok: true; value: T }
  | { ok: false; problem: string };

/** A description of values of type `T`. */
export interface Schema<T> {
  /** The value as a `T` (objects rebuilt without unknown fields), or why not. */
  parse(value: unknown): Parsed<T>;
  /** The check itself: the value, or where and why it fails. */
  readonly check: (value: unknown) => Checked<T>;
}

/** Outcome of {@link Schema.check}. */
type Checked<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** A field that may be absent (see {@link optional}). */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}

/**
 * The schemas of the fields of `T`: one per field, of its type, and
 * {@link Optional} exactly where the field may be absent.
 */
export type ShapeOf<T> = {
  [K in keyof T]-?: undefined extends T[K] ? Optional<Exclude<T[K], undefined>>
    : Schema<T[K]>;
};

function schema<T>(check: (value: unknown) => Checked<T>): Schema<T> {
  return {
    check,
    parse(value) {
      const checked = check(value);
      return checked.ok
        ? checked
        : { ok: false, problem: say(checked.failure) };
    },
  };
}

/** A failure for people: `key: [i] key: message`. */
function say(failure: Failure): string {
  if (failure.whole) return failure.message;
  const where = failure.path.map((p) =>
    typeof p === "number" ? `[${p}] ` : `${p}: `
  );
  return where.join("") + failure.message;
}

function fail<T>(message: string): Checked<T> {
  return { ok: false, failure: { path: [], message, whole: false } };
}

/** `failure` one step further in. */
function within<T>(key: string | number, failure: Failure): Checked<T> {
  return {
    ok: false,
    failure: failure.whole
      ? failure
      : { ...failure, path: [key, ...failure.path] },
  };
}

/** A string. */
export const string: Schema<string> = schema((v) =>
  typeof v === "string" ? { ok: true, value: v } : fail("not a string")
);

/** A finite number. */
export const number: Schema<number> = schema((v) =>
  typeof v === "number" && Number.isFinite(v)
    ? { ok: true, value: v }
    : fail("not a number")
);

/** A boolean. */
export const boolean: Schema<boolean> = schema((v) =>
  typeof v === "boolean" ? { ok: true, value: v } : fail("not a boolean")
);

/** Exactly `value`. */
export function literal<const T extends string | number | boolean>(
  value: T,
): Schema<T> {
  return schema((v) =>
    v === value ? { ok: true, value } : fail(`not ${JSON.stringify(value)}`)
  );
}

/** One of `values`; `what` names them in the problem ("not a state"). */
export function oneOf<const T extends string>(
  values: readonly T[],
  what: string,
): Schema<T> {
  return schema((v) =>
    (values as readonly unknown[]).includes(v)
      ? { ok: true, value: v as T }
      : fail(`not ${what}`)
  );
}

/** A value of `a` or, failing that, of `b` (the problem is `b`'s). */
export function either<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  return schema<A | B>((v) => {
    const first = a.check(v);
    return first.ok ? first : b.check(v);
  });
}

/** A value of `inner`, or null. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return schema<T | null>((v) =>
    v === null ? { ok: true, value: v } : inner.check(v)
  );
}

/** An object field that may be absent (or undefined). */
export function optional<T>(inner: Schema<T>): Optional<T> {
  return {
    ...schema<T | undefined>((v) =>
      v === undefined ? { ok: true, value: v } : inner.check(v)
    ),
    optional: true,
  };
}

/** The fields of `shape`, each made {@link optional}. */
export function partial<T>(shape: ShapeOf<T>): ShapeOf<Partial<T>> {
  return Object.fromEntries(
    Object.entries<Schema<unknown>>(shape).map((
      [key, field],
    ) => [key, "optional" in field ? field : optional(field)]),
  ) as ShapeOf<Partial<T>>;
}

/** A list of values of `item`. */
export function array<T>(item: Schema<T>): Schema<T[]> {
  return schema((v) => {
    if (!Array.isArray(v)) return fail("not a list");
    const out: T[] = [];
    for (const [i, element] of v.entries()) {
      const checked = item.check(element);
      if (!checked.ok) return within(i, checked.failure);
      out.push(checked.value);
    }
    return { ok: true, value: out };
  });
}

/** An object whose every value is of `value` (any keys). */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return schema((v) => {
    if (!isObject(v)) return fail("not an object");
    const out: Record<string, T> = {};
    for (const [key, element] of Object.entries(v)) {
      const checked = value.check(element);
      if (!checked.ok) return within(key, checked.failure);
      out[key] = checked.value;
    }
    return { ok: true, value: out };
  });
}

/** An object with the fields of `shape`, in its order; others dropped. */
export function object<T>(shape: ShapeOf<T>): Schema<T> {
  const fields = Object.entries<Schema<unknown>>(shape);
  return schema((v) => {
    if (!isObject(v)) return fail("not an object");
    const out: Record<string, unknown> = {};
    for (const [key, field] of fields) {
      const checked = field.check(v[key]);
      if (!checked.ok) return within(key, checked.failure);
      if (checked.value !== undefined) out[key] = checked.value;
    }
    return { ok: true, value: out as T };
  });
}

/**
 * `inner`, whose problems are said by `message` as a whole (given the
 * value): `"services must be a list of names"`.
 */
export function described<T>(
  inner: Schema<T>,
  message: string | ((value: unknown) => string),
): Schema<T> {
  return schema((v) => {
    const checked = inner.check(v);
    if (checked.ok) return checked;
    const text = typeof message === "string" ? message : message(v);
    return { ok: false, failure: { path: [], message: text, whole: true } };
  });
}

/** A JSON object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
