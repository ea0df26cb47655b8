/**
 * The bench's pure pieces: the log–log chart (chart.ts), the scale table
 * and its targets (scale.ts), and docs/performance.md's run block
 * (report.ts), on made-up figures. The chart is rendered with rsvg-convert
 * (apt-get install librsvg2-bin), which refuses malformed SVG.
 */

import assert from "node:assert/strict";
import { chartSvg, logAxis, logPosition } from "./chart.ts";
import { scaleFigures, scalePanels, scaleTable } from "./scale.ts";
import { BEGIN, END, replaceBlock, reportBlock } from "./report.ts";
import type { PeerResult } from "./supervisors.ts";
import { renderPng } from "../helpers/svg.ts";

function result(
  peer: string,
  services: number,
  figures: Partial<PeerResult> = {},
): PeerResult {
  return {
    peer,
    services,
    bootMs: services * 2,
    pssKb: 30_000,
    rssKb: 60_000,
    supervisorProcesses: 1,
    bootCpuS: services / 1000,
    statusMs: 20,
    listMs: 50,
    rescanMs: 40,
    restartMs: 5,
    restartCpuMs: 1,
    shutdownMs: 100,
    ...figures,
  };
}

/** The points of a chart, as its circles' data attributes say. */
function points(
  svg: string,
): { series: string; n: number; cx: number; cy: number }[] {
  return [...svg.matchAll(/<circle class="point" ([^>]*)>/g)].map((m) => {
    const a = Object.fromEntries(
      [...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    return {
      series: a["data-series"],
      n: Number(a["data-n"]),
      cx: Number(a.cx),
      cy: Number(a.cy),
    };
  });
}

Deno.test("logPosition: a decade is the same length wherever it is", () => {
  assert.equal(logPosition(1000, 100, 10_000), 0.5);
  assert.equal(logPosition(100, 100, 10_000), 0);
  assert.equal(logPosition(10_000, 100, 10_000), 1);
  assert.ok(
    Math.abs(logPosition(20, 1, 1000) - logPosition(200, 10, 10_000)) < 1e-12,
  );
});

Deno.test("logAxis: whole decades around the data, ticks inside it", () => {
  const a = logAxis(3.2, 870);
  assert.equal(a.lo, 1);
  assert.equal(a.hi, 1000);
  assert.deepEqual(a.ticks, [1, 10, 100, 1000]);
  const b = logAxis(12, 70);
  assert.deepEqual([b.lo, b.hi], [10, 100]);
  assert.deepEqual(b.ticks, [10, 20, 50, 100]);
  // Data on a decade is kept off the edge.
  const c = logAxis(100, 10_000);
  assert.ok(c.lo < 100 && c.hi > 10_000);
  for (const t of c.ticks) assert.ok(t >= c.lo && t <= c.hi);
});

Deno.test("chartSvg: well-formed, one point per figure, slopes as the figures grow", async () => {
  const sizes = [100, 1000, 10_000];
  const svg = chartSvg([
    {
      title: "grows",
      format: (v) => `${v} ms`,
      series: [
        { name: "linear", points: sizes.map((n) => [n, n / 10]) },
        { name: "quadratic <&>", points: sizes.map((n) => [n, n * n / 1e4]) },
        { name: "flat", points: sizes.map((n) => [n, 7]) },
      ],
    },
    { title: "empty", format: String, series: [] },
  ], { title: "test chart" });
  await renderPng(svg); // throws on malformed SVG
  assert.ok(svg.includes("quadratic &lt;&amp;&gt;"));
  assert.ok(svg.includes(">no figures</text>"));
  const pts = points(svg);
  assert.equal(pts.length, 9);
  const of = (s: string) =>
    pts.filter((p) => p.series === s).sort((a, b) => a.n - b.n);
  // Equal steps in log N are equal steps across.
  const lin = of("linear");
  assert.ok(
    Math.abs((lin[1].cx - lin[0].cx) - (lin[2].cx - lin[1].cx)) < 0.05,
  );
  // Up is smaller y; slope 2 rises twice as fast as slope 1; flat is flat.
  const rise = (ps: typeof lin) => ps[0].cy - ps[2].cy;
  const quad = of("quadratic &lt;&amp;&gt;"); // as escaped in the attribute
  assert.ok(rise(lin) > 0);
  assert.ok(Math.abs(rise(quad) - 2 * rise(lin)) < 0.1);
  assert.equal(new Set(of("flat").map((p) => p.cy)).size, 1);
});

Deno.test("scaleTable and scalePanels: a row per run, failures said, failed runs not drawn", () => {
  const results = [
    result("nitro (this)", 100),
    result("s6", 100),
    result("nitro (this)", 1000, { error: "only 3 of 1000 started\nmore" }),
  ];
  const table = scaleTable(results).split("\n");
  assert.equal(table.length, 2 + 3);
  assert.match(
    table[2],
    /^\| 100 \| nitro \(this\) \| 200\.0 ms \| 29\.3 MB \|/,
  );
  assert.match(
    table[4],
    /\| 1,000 \| nitro \(this\) \| failed: only 3 of 1000 started \|/,
  );
  const panels = scalePanels(results);
  const boot = panels.find((p) => p.title === "boot to all running")!;
  assert.deepEqual(
    boot.series.map((s) => [s.name, s.points]),
    [["nitro (this)", [[100, 200]]], ["s6", [[100, 200]]]],
  );
});

Deno.test("scaleFigures: the issue's targets at the largest N, against the same run", () => {
  const results = [
    result("nitro (this)", 100, { restartMs: 4 }),
    result("C nitro", 100, { restartMs: 3 }),
    result("nitro (this)", 10_000, {
      bootMs: 50_000,
      pssKb: 90 * 1024,
      listMs: 200,
      rescanMs: 160,
      shutdownMs: 2500,
      restartMs: 8,
    }),
    result("s6", 10_000, { bootMs: 60_000 }),
  ];
  const verdicts = Object.fromEntries(
    scaleFigures(results).map((f) => [f.what, f.ok]),
  );
  assert.deepEqual(verdicts, {
    "boot to all running, 10,000 services": true,
    "memory of the supervision (PSS), 10,000 services": false,
    "`nitroctl list`, 10,000 services": true,
    "`nitroctl rescan`, nothing changed, 10,000 services": false,
    "shutdown until all gone (services exit at once on SIGTERM), 10,000 services":
      true,
    "restart after kill -9, 10,000 services": true,
    "restart after kill -9, 100 services": true,
    "CPU time per restart, 100 services": undefined,
  });
  // 5 ms over the latency at 100 is the limit.
  const slow = results.map((r) =>
    r.services === 10_000 && r.peer === "nitro (this)"
      ? { ...r, restartMs: 9.5 }
      : r
  );
  const f = scaleFigures(slow).find((x) =>
    x.what === "restart after kill -9, 10,000 services"
  )!;
  assert.equal(f.ok, false);
});

Deno.test("report: the run's block replaces the last one and keeps what is around it", () => {
  const block = reportBlock({
    command: "deno task bench scale --write-docs",
    date: "2026-12-04 17:00",
    machine: "2 cores, linux 6.1, Deno 2.9.6",
    load: {
      before: "load average: 1.00, 1.00, 1.00",
      after: "load average: 2.00",
    },
    limits: ["open files: 20000"],
    sections: [{
      title: "scale",
      about: "how costs grow",
      table: "| a |\n| --- |\n| 1 |",
      image: { path: "performance.svg", alt: "chart" },
      lines: ["boot: met"],
    }],
  });
  assert.ok(block.startsWith(BEGIN) && block.endsWith(END));
  assert.ok(block.includes("```sh\ndeno task bench scale --write-docs\n```"));
  assert.ok(block.includes("![chart](performance.svg)"));
  assert.ok(block.includes("- boot: met"));
  const fresh = replaceBlock("", block);
  assert.ok(fresh.startsWith("# Performance\n\n" + BEGIN));
  const page =
    `# Title\n\nBy hand before.\n\n${BEGIN}\nold\n${END}\n\nBy hand after.\n`;
  const next = replaceBlock(page, block);
  assert.equal(
    next,
    `# Title\n\nBy hand before.\n\n${block}\n\nBy hand after.\n`,
  );
  assert.ok(!next.includes("old"));
});
