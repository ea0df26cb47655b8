/**
 * `blame` and the boot timeline it is made from (src/ctl/blame.ts,
 * src/ctl/boot_timeline.ts), on synthetic event histories.
 */

import assert from "node:assert/strict";
import type { ServiceEvent, State } from "../../src/protocol.ts";
import { blameLines, blameRows, formatBlame } from "../../src/ctl/blame.ts";
import { bootTimeline } from "../../src/ctl/boot_timeline.ts";
import { plotSvg, plotTimeline } from "../../src/ctl/plot.ts";
import { snapshot } from "../../src/ctl/history_snapshot.ts";

/** Events from `[time, name, state]` triples, sorted by time. */
function history(...triples: [number, string, State][]): ServiceEvent[] {
  return triples
    .map(([time, name, state]) => ({ name, state, pid: null, time }))
    .sort((a, b) => a.time - b.time);
}

/** A boot at 1000 with SYS/setup, a quick and a slow service, a one-shot. */
const BOOT = history(
  [900, "old", "STARTING"], // before this boot: ignored
  [1000, "SYS", "SETUP"],
  [1200, "SYS", "DOWN"],
  [1210, "quick", "STARTING"],
  [1215, "slow", "STARTING"],
  [1220, "once", "SETUP"],
  [1300, "once", "ONESHOT"],
  [1710, "quick", "UP"],
  [4215, "slow", "UP"],
);

Deno.test("blame: slowest first, times relative to boot", () => {
  const rows = blameRows(BOOT, 1000);
  assert.deepEqual(
    rows.map((r) => [r.name, r.began, r.took, r.up, r.state, r.restarts]),
    [
      ["slow", 215, 3000, true, "UP", 0],
      ["quick", 210, 500, true, "UP", 0],
      ["SYS/setup", 0, 200, true, "DOWN", 0],
      ["once", 220, 80, true, "ONESHOT", 0],
    ],
  );
});

Deno.test("blame: services that never came up come first, marked", () => {
  const events = history(
    [0, "web", "STARTING"],
    [2000, "web", "UP"],
    // Setup exits 111: FATAL at once.
    [0, "broken", "SETUP"],
    [40, "broken", "FATAL"],
    // Crashes while starting: a DELAY loop, two restarts so far.
    [0, "flaky", "STARTING"],
    [100, "flaky", "DOWN"],
    [100, "flaky", "DELAY"],
    [2100, "flaky", "STARTING"],
    [2200, "flaky", "DOWN"],
    [2200, "flaky", "DELAY"],
    [4200, "flaky", "STARTING"],
    [4300, "flaky", "DOWN"],
    [4300, "flaky", "DELAY"],
    // Still starting: manual readiness nobody gave.
    [10, "waiting", "STARTING"],
    // Taken down before anything: not a started service.
    [5, "idle", "DOWN"],
  );
  const rows = blameRows(events, 0, 5000);
  assert.deepEqual(
    rows.map((r) => [r.name, r.up, r.state, r.took, r.restarts]),
    [
      ["flaky", false, "DELAY", 5000, 2], // still trying: until now
      ["waiting", false, "STARTING", 4990, 0],
      ["broken", false, "FATAL", 40, 0], // ended: until it failed
      ["web", true, "UP", 2000, 0],
    ],
  );
  const text = formatBlame(rows);
  assert.equal(text.length, 5);
  assert.match(text[0], /^ +took +began +service$/);
  assert.match(
    text[1],
    /^ *DELAY +\+0\.000s +flaky \(never up: still DELAY after 5\.000s, 2 restarts\)$/,
  );
  assert.match(
    text[3],
    /^ *FATAL +\+0\.000s +broken \(never up: FATAL after 0\.040s\)$/,
  );
  assert.match(text[4], /^ *2\.000s +\+0\.000s +web$/);
});

Deno.test("blame: restarts before coming up are counted, later ones not", () => {
  const events = history(
    [0, "db", "SETUP"],
    [50, "db", "STARTING"], // same try as its SETUP
    [60, "db", "DOWN"],
    [60, "db", "DELAY"],
    [2060, "db", "SETUP"],
    [2100, "db", "STARTING"],
    [2100, "db", "STARTING"], // repeated event: no new try
    [3100, "db", "UP"],
    [9000, "db", "RESTART"], // a later restart by hand
    [9010, "db", "DOWN"],
    [9010, "db", "STARTING"],
    [9500, "db", "UP"],
  );
  const [row] = blameRows(events, 0);
  assert.deepEqual(row, {
    name: "db",
    began: 0,
    took: 3100,
    up: true,
    state: "UP",
    restarts: 1,
    later: false,
  });
  assert.match(formatBlame([row])[1], /db \(1 restart\)$/);
  const t = bootTimeline(events, 0).services[0];
  assert.deepEqual(t.tries, [0, 2060, 9010]);
});

Deno.test("blame: after a reboot only the new boot counts", () => {
  const events = history(
    [0, "web", "STARTING"],
    [2000, "web", "UP"],
    [5000, "web", "SHUTDOWN"],
    [5100, "web", "DOWN"],
    [6000, "web", "STARTING"],
    [6500, "web", "UP"],
  );
  assert.deepEqual(
    blameRows(events, 6000).map((r) => [r.name, r.began, r.took]),
    [["web", 0, 500]],
  );
  assert.deepEqual(blameRows([], 0), []);
});

Deno.test("blame: SYS/setup still running or failed", () => {
  const running = blameRows(history([0, "SYS", "SETUP"]), 0, 700);
  assert.deepEqual(running, [{
    name: "SYS/setup",
    began: 0,
    took: 700,
    up: false,
    state: "SETUP",
    restarts: 0,
    later: false,
  }]);
});

Deno.test("timeline: segments per state, DOWN left out, all-up moment", () => {
  const t = bootTimeline(BOOT, 1000, 5000);
  assert.equal(t.end, 4000);
  assert.deepEqual(t.services.map((s) => s.name), ["quick", "slow", "once"]);
  assert.deepEqual(t.allUp, 3215);
  assert.deepEqual(t.services[0].segments, [
    { state: "STARTING", start: 210, end: 710, open: false },
    { state: "UP", start: 710, end: 4000, open: true },
  ]);
  assert.deepEqual(t.sys?.segments, [
    { state: "SETUP", start: 0, end: 200, open: false },
  ]);
  const failing = bootTimeline(
    history([0, "a", "STARTING"], [10, "a", "FATAL"]),
    0,
  );
  assert.equal(failing.allUp, null);
});

Deno.test("snapshot: boot from info, else the first event", () => {
  const events = history([500, "a", "STARTING"], [900, "a", "UP"]);
  assert.deepEqual(snapshot(events, { boot: 400, uptime: 1000 }), {
    events,
    boot: 400,
    now: 1000,
  });
  assert.deepEqual(snapshot(events, {}), { events, boot: 500, now: 900 });
  assert.deepEqual(snapshot([], {}), { events: [], boot: 0, now: 0 });
});

/** The BOOT above, then a service started by hand a minute later. */
const BOOT_THEN_BY_HAND = history(
  ...BOOT.map((e): [number, string, State] => [e.time, e.name, e.state]),
  [61_000, "debug", "STARTING"],
  [63_000, "debug", "UP"],
);

Deno.test("blame: the headline is the boot's; a later start by hand is named apart", () => {
  const lines = blameLines(BOOT_THEN_BY_HAND, 1000, 70_000);
  assert.equal(lines[0], "boot took 3.215s (3 services)");
  assert.match(lines[1], /^ +took +began +service$/);
  assert.ok(!lines.slice(1, -1).some((l) => l.includes("debug")));
  assert.equal(lines.at(-1), "later, not part of the boot: debug");
  // --json: every row, the later one marked.
  const rows = blameRows(BOOT_THEN_BY_HAND, 1000, 70_000);
  assert.deepEqual(
    rows.map((r) => [r.name, r.later]),
    [
      ["slow", false],
      ["quick", false],
      ["SYS/setup", false],
      ["once", false],
      ["debug", true],
    ],
  );
  // Without it, the same headline.
  assert.equal(blameLines(BOOT, 1000)[0], "boot took 3.215s (3 services)");
});

Deno.test("blame: a boot still trying says so and names who", () => {
  const events = history(
    [0, "web", "STARTING"],
    [2000, "web", "UP"],
    // A run that fails: DOWN and DELAY at one moment is no giving up.
    [0, "flaky", "STARTING"],
    [2100, "flaky", "DOWN"],
    [2100, "flaky", "DELAY"],
    [4100, "flaky", "STARTING"],
    // Gave up: counts as over.
    [0, "broken", "SETUP"],
    [40, "broken", "FATAL"],
  );
  const t = bootTimeline(events, 0, 5000);
  assert.equal(t.settled, null);
  assert.equal(
    blameLines(events, 0, 5000)[0],
    "boot not over after 5.000s (3 services; still trying: flaky)",
  );
  // A start a minute into a boot that never settled is the boot's.
  const more = history(
    ...events.map((e): [number, string, State] => [e.time, e.name, e.state]),
    [60_000, "late", "STARTING"],
  );
  assert.deepEqual(bootTimeline(more, 0).later, []);
});

Deno.test("timeline: the boot starts in batches; a start within a second of settling is the boot's", () => {
  const events = history(
    [0, "a", "SETUP"],
    [5, "a", "ONESHOT"],
    [300, "b", "SETUP"], // the next batch, after a settled first one
    [320, "b", "ONESHOT"],
    [1400, "c", "STARTING"], // over a second after b: by hand
  );
  const t = bootTimeline(events, 0);
  assert.deepEqual(t.services.map((s) => s.name), ["a", "b"]);
  assert.deepEqual(t.later.map((s) => s.name), ["c"]);
  assert.equal(t.settled, 320);
  assert.equal(t.allUp, 320);
});

Deno.test("plot: the headline and the axis are the boot's, later starts named apart", () => {
  const t = plotTimeline(BOOT_THEN_BY_HAND, 1000, { now: 70_000 });
  assert.equal(t.settled, 3215);
  assert.deepEqual(t.later.map((s) => s.name), ["debug"]);
  assert.deepEqual(t.services.map((s) => s.name), ["quick", "slow", "once"]);
  // The boot, and a little after: not stretched to the start a minute on.
  assert.ok(t.end < 5000, `end ${t.end}`);
  const svg = plotSvg(BOOT_THEN_BY_HAND, 1000, { now: 70_000 });
  assert.ok(svg.includes("boot took 3.215s (3 services)"));
  assert.ok(svg.includes("later, not part of the boot: debug"));
  assert.ok(!svg.includes('data-service="debug"'));
});
