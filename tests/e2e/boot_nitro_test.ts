/**
 * `nitroctl blame` and `nitroctl plot` against a real nitro: the rows and
 * bars are checked against the events nitro itself reports, and the plot is
 * rendered to PNG with `rsvg-convert` (apt-get install librsvg2-bin) and
 * looked at: not blank, the states' colours present.
 */

import assert from "node:assert/strict";
import { NitroClient } from "../../src/client.ts";
import type { ServiceEvent } from "../../src/protocol.ts";
import { STATE_COLORS } from "../../src/ctl/plot.ts";
import { Nitro } from "../helpers/nitro.ts";
import { colorCounts, decodePng, plotRows, renderPng } from "../helpers/svg.ts";

const SERVICES = {
  SYS: { setup: "#!/bin/sh\nsleep 0.3\n" },
  // UP after the default 2 seconds.
  timer: { run: "#!/bin/sh\nexec sleep 1000\n" },
  // SETUP, then STARTING, then UP.
  staged: {
    setup: "#!/bin/sh\nsleep 0.5\n",
    run: "#!/bin/sh\nexec sleep 1000\n",
  },
  // No run: ONESHOT once setup succeeded.
  once: { setup: "#!/bin/sh\nsleep 0.2\n" },
  // setup exits 111: FATAL, never up.
  broken: { setup: "#!/bin/sh\nexit 111\n" },
  // Dies at once: a DELAY loop, never up.
  flaky: { run: "#!/bin/sh\nexit 1\n" },
};

/** Read nitro's history until `done` says enough, at most 20 s. */
async function eventsUntil(
  sock: string,
  done: (events: ServiceEvent[]) => boolean,
): Promise<ServiceEvent[]> {
  using client = await NitroClient.connect(sock);
  const events: ServiceEvent[] = [];
  const stream = client.events({
    replay: true,
    signal: AbortSignal.timeout(20_000),
  });
  for await (const e of stream) {
    events.push(e);
    if (done(events)) break;
  }
  return events;
}

const first = (
  events: ServiceEvent[],
  name: string,
  states: string[],
): ServiceEvent | undefined =>
  events.find((e) => e.name === name && states.includes(e.state));

Deno.test("blame and plot of a real boot", async (t) => {
  const nitro = await Nitro.create(SERVICES);
  try {
    await nitro.start();
    const events = await eventsUntil(
      nitro.sock,
      (es) =>
        first(es, "timer", ["UP"]) !== undefined &&
        first(es, "staged", ["UP"]) !== undefined &&
        first(es, "once", ["ONESHOT"]) !== undefined &&
        first(es, "broken", ["FATAL"]) !== undefined &&
        es.filter((e) => e.name === "flaky" && e.state === "STARTING").length >=
          2,
    );
    using client = await NitroClient.connect(nitro.sock);
    const info = await client.info() as { boot?: number };
    const boot = info.boot ?? events[0].time;

    /** Where each started service began and got up, from the events. */
    const expected = (name: string) => {
      const start = first(events, name, ["SETUP", "STARTING"])!;
      const up = first(events, name, ["UP", "ONESHOT"]);
      return { began: start.time - boot, took: up && up.time - start.time };
    };

    await t.step("blame: rows and order from the events", async () => {
      const r = await nitro.ctl(["--json", "blame"]);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as {
        name: string;
        began: number;
        took: number;
        up: boolean;
        state: string;
        restarts: number;
      }[];
      assert.deepEqual(
        rows.map((row) => row.name).sort(),
        ["SYS/setup", "broken", "flaky", "once", "staged", "timer"],
      );
      // Never up first, then the others slowest first.
      const ups = rows.filter((row) => row.up);
      assert.deepEqual(rows.slice(0, 2).map((row) => row.up), [false, false]);
      assert.deepEqual(
        ups.map((row) => row.took),
        ups.map((row) => row.took).sort((a, b) => b - a),
      );
      for (const row of ups) {
        if (row.name === "SYS/setup") continue;
        const e = expected(row.name);
        assert.deepEqual([row.name, row.began, row.took], [
          row.name,
          e.began,
          e.took,
        ]);
        assert.equal(row.restarts, 0);
      }
      const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
      assert.equal(byName.once.state, "ONESHOT");
      assert.equal(byName.broken.state, "FATAL");
      assert.equal(byName.broken.began, expected("broken").began);
      assert.equal(byName.flaky.up, false);
      assert.ok(byName.flaky.restarts >= 1, `${byName.flaky.restarts}`);
      const sysStart = first(events, "SYS", ["SETUP"])!;
      const sysEnd = events.find((e) =>
        e.name === "SYS" && e.time >= sysStart.time && e.state !== "SETUP"
      )!;
      assert.equal(byName["SYS/setup"].took, sysEnd.time - sysStart.time);
      assert.equal(byName["SYS/setup"].began, sysStart.time - boot);

      // The text lists the same services in the same order.
      const text = await nitro.ctl(["blame"]);
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.trimEnd().split("\n");
      // flaky keeps trying: the boot is not over, and the headline says so.
      assert.match(
        lines[0],
        /^boot not over after \d+\.\d{3}s \(5 services; still trying: flaky\)$/,
      );
      assert.match(lines[1], /took +began +service/);
      assert.deepEqual(
        lines.slice(2).map((l) => l.trim().split(/\s+/)[2]),
        rows.map((row) => row.name),
      );
      assert.match(text.stdout, /broken \(never up: FATAL after/);
      assert.match(text.stdout, /flaky \(never up: .*restart/);
    });

    await t.step("plot: rows, bars at the event times, a picture", async () => {
      const r = await nitro.ctl(["plot"]);
      assert.equal(r.code, 0, r.stderr);
      const svg = r.stdout;
      const rows = plotRows(svg);
      // SYS/setup first, then the services by the time they began.
      assert.equal(rows[0].service, "SYS/setup");
      const services = rows.slice(1);
      assert.deepEqual(
        services.map((row) => row.service).sort(),
        ["broken", "flaky", "once", "staged", "timer"],
      );
      for (const row of services) {
        assert.equal(row.began, expected(row.service).began);
      }
      assert.deepEqual(
        services.map((row) => row.began),
        services.map((row) => row.began).sort((a, b) => a - b),
      );
      // Each bar spans from one event of its service to the next (flaky
      // goes on restarting after the events read: those are not checked).
      const seen = events.at(-1)!.time - boot;
      for (const row of services) {
        const mine = events.filter((e) => e.name === row.service);
        for (const bar of row.bars.filter((b) => b.start <= seen)) {
          const at = mine.findIndex((e) =>
            e.time - boot === bar.start && e.state === bar.state
          );
          assert.ok(at >= 0, `${row.service} ${bar.state} at ${bar.start}`);
          const next = mine.slice(at + 1).find((e) => e.state !== bar.state);
          if (next) {
            assert.equal(bar.end, next.time - boot);
          }
        }
      }
      const staged = services.find((row) => row.service === "staged")!;
      assert.deepEqual(
        staged.bars.map((b) => b.state),
        ["SETUP", "STARTING", "UP"],
      );
      const flaky = services.find((row) => row.service === "flaky")!;
      assert.ok(flaky.tries.length >= 2, "restarts are separate bars");

      // --json: the timeline drawn, with the same rows and start times.
      const json = await nitro.ctl(["--json", "plot"]);
      assert.equal(json.code, 0, json.stderr);
      const timeline = JSON.parse(json.stdout) as {
        sys: { name: string } | null;
        services: { name: string; began: number; segments: unknown[] }[];
      };
      assert.equal(timeline.sys?.name, "SYS/setup");
      assert.deepEqual(
        timeline.services.map((t) => [t.name, t.began]).sort(),
        services.map((row) => [row.service, row.began]).sort(),
      );
      assert.deepEqual(
        timeline.services.find((t) => t.name === "staged")!.segments.map((
          g,
        ) => (g as { state: string }).state),
        ["SETUP", "STARTING", "UP"],
      );

      const image = await decodePng(await renderPng(svg));
      assert.ok(image.width > 500 && image.height > 6 * 16);
      const counts = colorCounts(image);
      assert.ok(counts.size > 20, `only ${counts.size} colours`);
      for (const state of ["SETUP", "STARTING", "UP", "FATAL"] as const) {
        const n = counts.get(STATE_COLORS[state]) ?? 0;
        assert.ok(n > 50, `${state}: ${n} pixels`);
      }
    });
  } finally {
    await nitro.stop();
  }
});

Deno.test("blame still sees the boot after 1,000 later events", async () => {
  const nitro = await Nitro.create({
    web: { run: "#!/bin/sh\nexec sleep 1000\n" },
    // A one-shot (setup only), kept down at boot: toggled below to push
    // the boot out of the window of recent events.
    toggle: { down: "", setup: "#!/bin/sh\nexit 0\n" },
  });
  try {
    await nitro.start();
    const boot = await eventsUntil(
      nitro.sock,
      (es) => first(es, "web", ["UP"]) !== undefined,
    );
    const start = first(boot, "web", ["STARTING"])!;
    const up = first(boot, "web", ["UP"])!;
    using client = await NitroClient.connect(nitro.sock);
    let events = 0;
    while (events < 1200) {
      await client.up("toggle", {
        wait: "up",
        verbose: true,
        onEvent: () => events++,
      });
      await client.down("toggle", {
        wait: "down",
        verbose: true,
        onEvent: () => events++,
      });
    }
    const r = await nitro.ctl(["--json", "blame"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; took: number }[];
    const web = rows.find((row) => row.name === "web");
    assert.ok(web, `web is gone from blame: ${r.stdout.slice(0, 300)}`);
    assert.equal(web.took, up.time - start.time);
    const plot = await nitro.ctl(["plot"]);
    assert.equal(plot.code, 0, plot.stderr);
    assert.deepEqual(plotRows(plot.stdout).map((row) => row.service), [
      "web",
      "toggle",
    ]);
  } finally {
    await nitro.stop();
  }
});

Deno.test("after a Reboot, blame and plot show the new boot only", async () => {
  const nitro = await Nitro.create({
    SYS: { setup: "#!/bin/sh\nsleep 0.1\n" },
    once: { setup: "#!/bin/sh\nsleep 0.1\n" },
  });
  try {
    await nitro.start();
    const oneshots = (es: ServiceEvent[]) =>
      es.filter((e) => e.name === "once" && e.state === "ONESHOT");
    await eventsUntil(nitro.sock, (es) => oneshots(es).length >= 1);
    const reboot = await nitro.ctl(["Reboot"]);
    assert.equal(reboot.code, 0, reboot.stderr);
    const events = await eventsUntil(
      nitro.sock,
      (es) => oneshots(es).length >= 2,
    );
    using client = await NitroClient.connect(nitro.sock);
    const { boot } = await client.info() as { boot: number };
    const setups = events.filter((e) =>
      e.name === "once" && e.state === "SETUP"
    );
    assert.equal(setups.length, 2);
    assert.ok(boot > setups[0].time && boot <= setups[1].time);

    const r = await nitro.ctl(["--json", "blame"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; began: number }[];
    assert.deepEqual(rows.map((row) => row.name).sort(), ["SYS/setup", "once"]);
    const once = rows.find((row) => row.name === "once")!;
    assert.equal(once.began, setups[1].time - boot);

    const plot = await nitro.ctl(["plot"]);
    assert.deepEqual(plotRows(plot.stdout).map((row) => row.service), [
      "SYS/setup",
      "once",
    ]);
  } finally {
    await nitro.stop();
  }
});
