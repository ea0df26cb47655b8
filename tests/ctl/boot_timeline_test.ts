/**
 * bootTimeline and its headlines at the edges: where the boot's window
 * begins and ends, SYS/setup on its own, ties in start order, events that
 * do not start or unsettle a boot, and names beyond five counted. Also
 * tested: tests/ctl/blame_test.ts (blame rows, batches, later starts by
 * hand, a boot still trying) and tests/ctl/plot_test.ts (the picture).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ServiceEvent, State } from "../../src/protocol.ts";
import {
  bootHeadline,
  bootTimeline,
  isTrying,
  laterLine,
  secs,
  SETTLE_GAP_MS,
} from "../../src/ctl/boot_timeline.ts";

/** Events from `[time, name, state]` triples, in the order given. */
function history(...triples: [number, string, State][]): ServiceEvent[] {
  return triples.map(([time, name, state]) => ({
    name,
    state,
    pid: null,
    time,
  }));
}

Deno.test("an event at the boot's moment is in; `until` before the last event does not cut it", () => {
  const events = history(
    [99, "old", "STARTING"],
    [100, "a", "STARTING"],
    [300, "a", "UP"],
  );
  const t = bootTimeline(events, 100, 150);
  assert.deepEqual(t.services.map((s) => [s.name, s.began, s.ready]), [
    ["a", 0, 200],
  ]);
  assert.equal(t.end, 200); // the last event, not `until`
  assert.equal(bootTimeline(events, 100, 900).end, 800);
  // No events since boot: the end is the boot itself, or `until`.
  assert.equal(bootTimeline(events, 5000).end, 0);
  assert.equal(bootTimeline([], 5000, 5250).end, 250);
});

Deno.test("services that began together are in name order", () => {
  const t = bootTimeline(
    history(
      [0, "c", "STARTING"],
      [0, "a", "STARTING"],
      [0, "b", "STARTING"],
      [5, "a", "UP"],
      [6, "b", "UP"],
      [7, "c", "UP"],
    ),
    0,
  );
  assert.deepEqual(t.services.map((s) => s.name), ["a", "b", "c"]);
  assert.equal(t.allUp, 7);
  assert.equal(t.settled, 7);
});

Deno.test("a service never started since boot has no timeline; idle events before its start are not its beginning", () => {
  const t = bootTimeline(
    history(
      [0, "idle", "DOWN"],
      [1, "idle", "SHUTDOWN"],
      [2, "idle", "RESTART"],
      [3, "late", "DOWN"],
      [10, "late", "STARTING"],
      [20, "late", "UP"],
    ),
    0,
  );
  assert.deepEqual(t.services.map((s) => [s.name, s.began]), [["late", 10]]);
  // Its segments start at its start, and the DOWN is not drawn.
  assert.deepEqual(t.services[0].segments, [
    { state: "STARTING", start: 10, end: 20, open: false },
    { state: "UP", start: 20, end: 20, open: true },
  ]);
});

Deno.test("segments: a repeated state is one segment, a DOWN between two is a gap", () => {
  const [s] = bootTimeline(
    history(
      [0, "s", "STARTING"],
      [5, "s", "STARTING"],
      [10, "s", "DOWN"],
      [10, "s", "DELAY"],
      [40, "s", "STARTING"],
      [50, "s", "UP"],
    ),
    0,
    80,
  ).services;
  assert.deepEqual(s.segments, [
    { state: "STARTING", start: 0, end: 10, open: false },
    { state: "DELAY", start: 10, end: 40, open: false },
    { state: "STARTING", start: 40, end: 50, open: false },
    { state: "UP", start: 50, end: 80, open: true },
  ]);
  assert.deepEqual([s.attempts, s.tries, s.state, s.since], [
    2,
    [0, 40],
    "UP",
    50,
  ]);
});

Deno.test("a service never ready counts every try, and is not all up", () => {
  const t = bootTimeline(
    history(
      [0, "x", "SETUP"],
      [1, "x", "SETUP"], // repeated: the same try
      [2, "x", "STARTING"], // SETUP then STARTING: the same try
      [3, "x", "DOWN"], // restarted at once: the same moment
      [3, "x", "STARTING"],
      [5, "x", "FATAL"],
    ),
    0,
  );
  const [x] = t.services;
  assert.deepEqual([x.ready, x.attempts, x.tries], [null, 2, [0, 3]]);
  assert.equal(t.allUp, null);
  assert.equal(t.settled, 5); // it gave up: the boot is over
});

Deno.test("SYS/setup: ready when the next event is not FATAL; no SETUP, no SYS/setup", () => {
  const fatal = bootTimeline(
    history([0, "SYS", "SETUP"], [30, "SYS", "FATAL"]),
    0,
  );
  assert.deepEqual(
    [fatal.sys?.ready, fatal.sys?.state, fatal.sys?.since],
    [null, "FATAL", 30],
  );
  const ok = bootTimeline(
    history([0, "SYS", "SETUP"], [30, "SYS", "ONESHOT"], [90, "SYS", "DOWN"]),
    0,
  );
  assert.deepEqual([ok.sys?.ready, ok.sys?.state], [30, "ONESHOT"]);
  // Only the setup itself is drawn, not what SYS did after it.
  assert.deepEqual(ok.sys?.segments, [
    { state: "SETUP", start: 0, end: 30, open: false },
  ]);
  // SYS's finish or shutdown alone (a boot whose setup is older): none.
  const none = bootTimeline(history([0, "SYS", "SHUTDOWN"]), 0);
  assert.equal(none.sys, null);
  assert.equal(bootHeadline(none), "no service started since boot");
});

Deno.test("a boot of SYS/setup alone is over when setup is", () => {
  const done = bootTimeline(
    history([0, "SYS", "SETUP"], [250, "SYS", "DOWN"]),
    0,
  );
  assert.equal(done.settled, 250);
  assert.equal(bootHeadline(done), "boot took 0.250s (0 services)");
  const running = bootTimeline(history([0, "SYS", "SETUP"]), 0, 1500);
  assert.equal(running.settled, null);
  assert.equal(
    bootHeadline(running),
    "boot not over after 1.500s (0 services; still trying: SYS/setup)",
  );
  // A failed setup: not over, and nobody trying.
  const failed = bootTimeline(
    history([0, "SYS", "SETUP"], [20, "SYS", "FATAL"]),
    0,
  );
  assert.equal(
    bootHeadline(failed),
    "boot not over after 0.020s (0 services; still trying: )",
  );
});

Deno.test("after the boot settled, a boot service's restart and an idle event unsettle nothing", () => {
  const gap = SETTLE_GAP_MS;
  const t = bootTimeline(
    history(
      [0, "web", "STARTING"],
      [100, "web", "UP"],
      [100 + 2 * gap, "web", "RESTART"], // a restart by hand
      [100 + 2 * gap, "web", "STARTING"],
      [100 + 2 * gap + 10, "other", "DOWN"], // not a start
      [100 + 3 * gap, "web", "UP"],
    ),
    0,
  );
  assert.equal(t.settled, 100);
  assert.deepEqual(t.later, []);
  assert.deepEqual(t.services.map((s) => s.name), ["web"]);
  // A service taken down within the gap was never started: the boot
  // stays settled where it was.
  const idle = bootTimeline(
    history(
      [0, "web", "STARTING"],
      [100, "web", "UP"],
      [100 + gap / 2, "other", "DOWN"],
    ),
    0,
  );
  assert.equal(idle.settled, 100);
});

Deno.test("a first start exactly SETTLE_GAP_MS after settling is still the boot's", () => {
  const at = (gapAfter: number) =>
    bootTimeline(
      history(
        [0, "a", "STARTING"],
        [10, "a", "UP"],
        [10 + gapAfter, "b", "STARTING"],
        [20 + gapAfter, "b", "UP"],
      ),
      0,
    );
  const edge = at(SETTLE_GAP_MS);
  assert.deepEqual(edge.services.map((s) => s.name), ["a", "b"]);
  assert.equal(edge.settled, 20 + SETTLE_GAP_MS);
  const past = at(SETTLE_GAP_MS + 1);
  assert.deepEqual(past.later.map((s) => s.name), ["b"]);
  assert.equal(past.settled, 10);
  // What the later service does after is not the boot's either.
  assert.equal(past.allUp, 10);
});

Deno.test("headlines name five, then count the rest", () => {
  const many = (n: number, state: State) =>
    history(
      [0, "boot", "STARTING"],
      [1, "boot", "UP"],
      ...Array.from(
        { length: n },
        (_, i): [number, string, State] => [5000 + i, `s${i}`, state],
      ),
    );
  assert.equal(
    laterLine(bootTimeline(many(7, "STARTING"), 0)),
    "later, not part of the boot: s0, s1, s2, s3, s4 and 2 more",
  );
  assert.equal(
    laterLine(bootTimeline(many(5, "STARTING"), 0)),
    "later, not part of the boot: s0, s1, s2, s3, s4",
  );
  assert.equal(laterLine(bootTimeline(many(0, "UP"), 0)), null);
  // Six still trying in a boot that never settled.
  const trying = bootTimeline(
    history(
      ...Array.from(
        { length: 6 },
        (_, i): [number, string, State] => [i, `t${i}`, "STARTING"],
      ),
    ),
    0,
  );
  assert.equal(
    bootHeadline(trying),
    "boot not over after 0.005s (6 services; still trying: t0, t1, t2, t3, t4 and 1 more)",
  );
});

Deno.test("secs has three decimals; isTrying covers the retry loop", () => {
  assert.deepEqual([secs(0), secs(1), secs(2013), secs(61_500)], [
    "0.000s",
    "0.001s",
    "2.013s",
    "61.500s",
  ]);
  const trying: State[] = ["SETUP", "STARTING", "DELAY", "RESTART"];
  for (const s of trying) assert.equal(isTrying(s), true, s);
  const notTrying: State[] = ["UP", "ONESHOT", "DOWN", "FATAL", "SHUTDOWN"];
  for (const s of notTrying) assert.equal(isTrying(s), false, s);
});
