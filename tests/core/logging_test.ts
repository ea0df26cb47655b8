/**
 * Which logger a service writes into and the shutdown order of
 * loggers (src/core/logging.ts), from plain facts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  loggerOf,
  type LoggerQuery,
  readsLogPipe,
  shutdownInput,
  type StopCandidate,
  stoppable,
  writerStartsLogger,
} from "../../src/core/logging.ts";

function q(name: string, over: Partial<LoggerQuery> = {}): LoggerQuery {
  return {
    name,
    param: null,
    link: null,
    hasLogTemplate: false,
    hasLog: false,
    ...over,
  };
}

const BOTH = { hasLogTemplate: true, hasLog: true };

// --- loggerOf ---------------------------------------------------------------

Deno.test("no link, no LOG, no LOG@: nitro's own stdout", () => {
  assert.equal(loggerOf(q("web")), null);
  assert.equal(loggerOf(q("a@b", { param: "b" })), null);
});

Deno.test("no link, LOG only: LOG", () => {
  assert.equal(loggerOf(q("web", { hasLog: true })), "LOG");
});

Deno.test("no link, LOG@ exists: LOG@<service>, preferred to LOG", () => {
  assert.equal(loggerOf(q("web", { hasLogTemplate: true })), "LOG@web");
  assert.equal(loggerOf(q("web", BOTH)), "LOG@web");
});

Deno.test("an instance without link logs to LOG@<its PARAM>", () => {
  assert.equal(
    loggerOf(q("agetty@tty1", { param: "tty1", ...BOTH })),
    "LOG@tty1",
  );
  assert.equal(
    loggerOf(q("agetty@tty1", { param: "tty1", hasLog: true })),
    "LOG",
  );
});

Deno.test("LOG itself has no default logger", () => {
  assert.equal(loggerOf(q("LOG", BOTH)), null);
  assert.equal(loggerOf(q("LOG", { hasLog: true })), null);
});

Deno.test("LOG@ instances log to LOG, or to nitro's stdout without LOG", () => {
  assert.equal(loggerOf(q("LOG@web", { param: "web", ...BOTH })), "LOG");
  assert.equal(
    loggerOf(q("LOG@web", { param: "web", hasLogTemplate: true })),
    null,
    "never LOG@LOG@web",
  );
});

Deno.test("log -> ../x uses service x, whatever LOG and LOG@ exist", () => {
  assert.equal(loggerOf(q("web", { link: "x" })), "x");
  assert.equal(loggerOf(q("web", { link: "x", ...BOTH })), "x");
  assert.equal(loggerOf(q("a@b", { param: "b", link: "x" })), "x");
});

Deno.test("log -> ../x@p uses instance x@p", () => {
  assert.equal(loggerOf(q("web", { link: "x@p", ...BOTH })), "x@p");
  assert.equal(loggerOf(q("a@b", { param: "b", link: "x@p" })), "x@p");
});

Deno.test("log -> ../x@ uses x@<param> for an instance, x@<name> otherwise", () => {
  assert.equal(loggerOf(q("a@b", { param: "b", link: "x@" })), "x@b");
  assert.equal(loggerOf(q("web", { link: "x@" })), "x@web");
});

Deno.test("a link wins for LOG and for LOG@ instances too (chains)", () => {
  assert.equal(loggerOf(q("LOG", { link: "archive", ...BOTH })), "archive");
  assert.equal(
    loggerOf(q("LOG@web", { param: "web", link: "LOG@", ...BOTH })),
    "LOG@web",
    "a LOG@ template linking to itself logs into itself",
  );
});

Deno.test("a link pointing back at the service makes it its own logger", () => {
  assert.equal(loggerOf(q("selfie", { link: "selfie", ...BOTH })), "selfie");
});

// --- stoppable --------------------------------------------------------------

function c(
  name: string,
  logger: string | null = null,
  stopped = false,
): StopCandidate {
  return { name, logger, stopped };
}

/** Run the shutdown order to its end; returns the waves of names. */
function waves(services: StopCandidate[]): string[][] {
  const all = services.map((s) => ({ ...s }));
  const out: string[][] = [];
  for (let i = 0; i < all.length + 1; i++) {
    const now = stoppable(all);
    if (now.length === 0) break;
    out.push(now);
    for (const s of all) {
      if (now.includes(s.name)) {
        s.stopped = true;
        s.logger = null; // no process, no writer
      }
    }
  }
  return out;
}

Deno.test("stoppable: nothing running, nothing to stop", () => {
  assert.deepEqual(stoppable([]), []);
  assert.deepEqual(stoppable([c("a", "LOG", true), c("LOG", null, true)]), []);
});

Deno.test("stoppable: services first, their logger after", () => {
  const list = [c("LOG"), c("a", "LOG"), c("b", "LOG"), c("lonely")];
  assert.deepEqual(stoppable(list), ["a", "b", "lonely"]);
  assert.deepEqual(waves(list), [["a", "b", "lonely"], ["LOG"]]);
});

Deno.test("stoppable: a logger waits while any feeder still runs", () => {
  const list = [c("LOG"), c("a", "LOG", true), c("b", "LOG")];
  assert.deepEqual(stoppable(list), ["b"]);
  assert.deepEqual(stoppable([c("LOG"), c("a", "LOG", true)]), ["LOG"]);
});

Deno.test("stoppable: a stopped feeder with a stale logger holds nothing", () => {
  // Stopped candidates do not feed, even if a logger is still named.
  assert.deepEqual(stoppable([c("LOG"), c("a", "LOG", true)]), ["LOG"]);
});

Deno.test("stoppable: chains stop from the head, one link at a time", () => {
  const list = [c("c"), c("b", "c"), c("a", "b")];
  assert.deepEqual(waves(list), [["a"], ["b"], ["c"]]);
});

Deno.test("stoppable: LOG@ instances before LOG, services before both", () => {
  const list = [
    c("LOG"),
    c("LOG@web", "LOG"),
    c("LOG@db", "LOG"),
    c("web", "LOG@web"),
    c("db", "LOG@db"),
  ];
  assert.deepEqual(waves(list), [["web", "db"], ["LOG@web", "LOG@db"], [
    "LOG",
  ]]);
});

Deno.test("stoppable: a self-logging service does not wait for itself", () => {
  assert.deepEqual(stoppable([c("selfie", "selfie")]), ["selfie"]);
  const list = [c("selfie", "selfie"), c("a", "selfie")];
  assert.deepEqual(waves(list), [["a"], ["selfie"]]);
});

Deno.test("stoppable: a logger whose logger is gone still stops", () => {
  // `a` writes into a logger that is not in the table (not started).
  assert.deepEqual(stoppable([c("a", "ghost")]), ["a"]);
});

Deno.test("stoppable: keeps the order of its input", () => {
  const list = [c("z"), c("m"), c("a")];
  assert.deepEqual(stoppable(list), ["z", "m", "a"]);
});

Deno.test({
  // Two loggers logging into each other must not stall shutdown.
  name: "stoppable: a log cycle of two still gets stopped",
  fn() {
    const list = [c("a", "b"), c("b", "a")];
    assert.notDeepEqual(stoppable(list), []);
    assert.equal(waves(list).flat().length, 2);
  },
});

Deno.test("stoppable: whenever something runs and no cycle, something stops", () => {
  // A deterministic pseudo-random forest of logger links.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const n = 1 + rand(8);
    const list: StopCandidate[] = [];
    for (let i = 0; i < n; i++) {
      // Only link to an earlier one (or to itself): no cycles of two or more.
      const target = rand(i + 2) - 1; // -1 = none, i = self
      list.push(c(`s${i}`, target < 0 ? null : `s${target}`, rand(4) === 0));
    }
    const running = list.filter((s) => !s.stopped).length;
    const order = waves(list).flat();
    assert.equal(order.length, running, JSON.stringify(list));
    // Each logger stops after every service writing into it.
    for (const s of list) {
      if (s.stopped || s.logger === null || s.logger === s.name) continue;
      const logger = list.find((l) => l.name === s.logger)!;
      if (logger.stopped) continue;
      assert.ok(order.indexOf(s.name) < order.indexOf(s.logger));
    }
  }
});

Deno.test("SYS logs to LOG, never to a LOG@ instance", () => {
  assert.equal(loggerOf(q("SYS", BOTH)), "LOG");
  assert.equal(loggerOf(q("SYS", { hasLogTemplate: true })), null);
});

Deno.test("web@1 and db@1 share LOG@1", () => {
  assert.equal(loggerOf(q("web@1", { param: "1", ...BOTH })), "LOG@1");
  assert.equal(loggerOf(q("db@1", { param: "1", ...BOTH })), "LOG@1");
});

Deno.test("readsLogPipe: LOG, LOG@ instances and referenced services", () => {
  const loggers = new Set(["weblog"]);
  assert.ok(readsLogPipe("LOG", loggers));
  assert.ok(readsLogPipe("LOG@x", loggers));
  assert.ok(readsLogPipe("weblog", loggers));
  assert.ok(!readsLogPipe("web", loggers));
  assert.equal(shutdownInput("weblog", loggers), "drain");
  assert.equal(shutdownInput("web", loggers), "down");
});

Deno.test("a writer starts its logger unless it was taken down by hand", () => {
  const base = { state: "DOWN", wantUp: false, requested: false };
  assert.ok(writerStartsLogger(base));
  assert.ok(!writerStartsLogger({ ...base, requested: true }));
  assert.ok(!writerStartsLogger({ ...base, state: "UP", wantUp: true }));
  assert.ok(!writerStartsLogger({ ...base, state: "SHUTDOWN" }));
});
