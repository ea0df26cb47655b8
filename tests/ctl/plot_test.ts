/**
 * `plot` (src/ctl/plot.ts) on synthetic histories: a well-formed SVG (read
 * by rsvg-convert, which refuses malformed XML), one row per service in
 * start order, bars where the events put them, and still readable with 300
 * services. Needs `rsvg-convert` (apt-get install librsvg2-bin).
 */

import assert from "node:assert/strict";
import type { ServiceEvent, State } from "../../src/protocol.ts";
import {
  CHART_WIDTH,
  esc,
  plotLayout,
  plotSvg,
  ROW_HEIGHT,
  STATE_COLORS,
} from "../../src/ctl/plot.ts";
import { bootTimeline } from "../../src/ctl/boot_timeline.ts";
import { colorCounts, decodePng, plotRows, renderPng } from "../helpers/svg.ts";

function history(...triples: [number, string, State][]): ServiceEvent[] {
  return triples
    .map(([time, name, state]) => ({ name, state, pid: null, time }))
    .sort((a, b) => a.time - b.time);
}

const BOOT = 500;
const EVENTS = history(
  [500, "SYS", "SETUP"],
  [800, "SYS", "DOWN"],
  [810, "web", "STARTING"],
  [805, "db", "SETUP"],
  [900, "db", "STARTING"],
  [1900, "db", "UP"],
  [2810, "web", "UP"],
  [820, "flaky", "STARTING"],
  [900, "flaky", "DOWN"],
  [900, "flaky", "DELAY"],
  [2900, "flaky", "STARTING"],
  [4900, "flaky", "UP"],
  [830, "broken", "SETUP"],
  [850, "broken", "FATAL"],
);

Deno.test("plot: one row per service by start, bars at the event times", async () => {
  const svg = plotSvg(EVENTS, BOOT);
  await renderPng(svg); // well-formed, or this throws
  const rows = plotRows(svg);
  assert.deepEqual(
    rows.map((r) => [r.service, r.began]),
    [["SYS/setup", 0], ["db", 305], ["web", 310], ["flaky", 320], [
      "broken",
      330,
    ]],
  );
  const timeline = bootTimeline(EVENTS, BOOT);
  const layout = plotLayout(
    [{ name: "SYS/setup" }, ...timeline.services],
    4400,
  );
  const near = (a: number, b: number) =>
    assert.ok(Math.abs(a - b) <= 1, `${a} is not ${b}`);
  for (const row of rows) {
    for (const bar of [...row.bars, ...row.tries]) {
      near(bar.x, layout.left + bar.start * layout.scale);
      near(bar.width, Math.max(1, (bar.end - bar.start) * layout.scale));
    }
  }
  const byName = Object.fromEntries(rows.map((r) => [r.service, r]));
  // Every state change of db, except nothing for DOWN.
  assert.deepEqual(
    byName.db.bars.map((b) => [b.state, b.start, b.end]),
    [["SETUP", 305, 400], ["STARTING", 400, 1400], ["UP", 1400, 4400]],
  );
  // The restart: two tries outlined apart, DELAY between them.
  assert.deepEqual(
    byName.flaky.tries.map((b) => [b.start, b.end]),
    [[320, 400], [2400, 4400]],
  );
  assert.deepEqual(
    byName.flaky.bars.map((b) => b.state),
    ["STARTING", "DELAY", "STARTING", "UP"],
  );
  assert.deepEqual(byName.broken.bars.map((b) => b.state), ["SETUP", "FATAL"]);
  assert.deepEqual(
    byName["SYS/setup"].bars.map((b) => [b.state, b.start, b.end]),
    [["SETUP", 0, 300]],
  );
  // The SYS/setup band; no all-up line, since broken never came up.
  assert.match(svg, /class="sys-setup"[^>]*data-start="0" data-end="300"/);
  assert.doesNotMatch(svg, /class="all-up"/);
  assert.match(svg, /never up: broken/);
});

Deno.test("plot: the moment all services were up is marked", async () => {
  const events = EVENTS.filter((e) => e.name !== "broken");
  const svg = plotSvg(events, BOOT);
  await renderPng(svg);
  const line = /<line class="all-up" x1="([\d.]+)"[^>]*data-time="(\d+)"/
    .exec(svg);
  assert.ok(line, "no all-up line");
  assert.equal(Number(line[2]), 4400); // flaky's UP, the last one
  const layout = plotLayout([{ name: "SYS/setup" }], 4400);
  const x = layout.left + 4400 * layout.scale;
  assert.ok(Math.abs(Number(line[1]) - x) <= 1, `${line[1]} is not ${x}`);
  assert.ok(x <= layout.left + CHART_WIDTH);
  assert.match(svg, /all up \+4\.400s/);
});

Deno.test("plot: the picture shows the states' colours", async () => {
  const image = await decodePng(await renderPng(plotSvg(EVENTS, BOOT)));
  const counts = colorCounts(image);
  for (const state of ["SETUP", "STARTING", "UP", "DELAY", "FATAL"] as const) {
    const n = counts.get(STATE_COLORS[state]) ?? 0;
    assert.ok(n > 50, `${state} (${STATE_COLORS[state]}): ${n} pixels`);
  }
});

Deno.test("plot: 300 services stay readable", async () => {
  const events: ServiceEvent[] = [];
  const names: string[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `service-${String(i).padStart(3, "0")}-${"x".repeat(i % 60)}`;
    names.push(name);
    events.push({ name, state: "STARTING", pid: null, time: i * 10 });
    events.push({ name, state: "UP", pid: null, time: 5000 + i * 20 });
  }
  events.sort((a, b) => a.time - b.time);
  const svg = plotSvg(events, 0);
  const rows = plotRows(svg);
  assert.equal(rows.length, 300);
  assert.deepEqual(rows.map((r) => r.service), names);
  const layout = plotLayout(rows.map((r) => ({ name: r.service })), 10980);
  rows.forEach((row, i) => {
    // One row each, a row apart: labels cannot overlap vertically...
    if (i > 0) assert.equal(row.labelY - rows[i - 1].labelY, ROW_HEIGHT);
    // ...nor run into the bars: long names are cut to fit the column.
    const chars = [...row.label.replaceAll("&amp;", "&")].length;
    assert.ok(chars <= 40, `${row.label} is ${chars} characters`);
    assert.ok(12 + chars * 6.7 <= layout.left - 8);
    assert.ok(row.bars.every((b) => b.x >= layout.left));
  });
  assert.ok(rows.some((r) => r.label.endsWith("…")));
  const image = await decodePng(await renderPng(svg));
  assert.ok(image.height >= 300 * ROW_HEIGHT, `height ${image.height}`);
});

Deno.test("plot: names cannot break the document", async () => {
  const name = `a<b>&"c'\u0001`;
  const svg = plotSvg(history([0, name, "STARTING"], [10, name, "UP"]), 0);
  await renderPng(svg);
  assert.equal(plotRows(svg)[0].label, "a&lt;b&gt;&amp;&quot;c&apos;\ufffd");
  assert.equal(esc("\ud800x"), "\ufffdx");
});

Deno.test("plot: an empty history is a valid, empty picture", async () => {
  const svg = plotSvg([], 0);
  await renderPng(svg);
  assert.equal(plotRows(svg).length, 0);
});

Deno.test("the renderer refuses a malformed document", async () => {
  const broken = plotSvg(EVENTS, BOOT).replace("</svg>", "");
  await assert.rejects(renderPng(broken), /refused/);
});
