/**
 * runBlame and runPlot in process, against a fake nitro that answers the
 * history snapshot: text or --json, status 0, and a refusal passed on with
 * nothing printed. Also tested: tests/ctl/blame_test.ts and
 * tests/ctl/plot_test.ts (what the lines and the picture say),
 * tests/ctl/history_snapshot_test.ts (the snapshot's protocol),
 * tests/e2e/boot_nitro_test.ts (blame and plot of a real boot).
 *
 * @module
 */

import assert from "node:assert/strict";
import { NitroClient, NitroError } from "../../src/client.ts";
import { parseCommandLine } from "../../src/ctl/args.ts";
import { blameLines, blameRows } from "../../src/ctl/blame.ts";
import { runBlame, runPlot } from "../../src/ctl/boot_commands.ts";
import { EXIT } from "../../src/ctl/exit.ts";
import { plotSvg, plotTimeline } from "../../src/ctl/plot.ts";
import type { ServiceEvent } from "../../src/protocol.ts";
import { FAKE_INFO, FakeDaemon, type Handler } from "../helpers/fake_daemon.ts";

const BOOT = 1000;
const NOW = 9000;
const EVENTS: ServiceEvent[] = [
  { name: "SYS", state: "SETUP", pid: 2, time: 1000 },
  { name: "SYS", state: "DOWN", pid: null, time: 1100 },
  { name: "web", state: "STARTING", pid: 7, time: 1110 },
  { name: "db", state: "STARTING", pid: 8, time: 1120 },
  { name: "db", state: "UP", pid: 8, time: 1500 },
  { name: "web", state: "UP", pid: 7, time: 3110 },
  // Never ready: the boot is not over, and how long it took is until now.
  { name: "stuck", state: "STARTING", pid: 9, time: 1130 },
];

/** Answers `events --replay` with EVENTS, then `info`, in that order. */
function history(): Handler {
  let sent = Promise.resolve();
  return async (request, reply) => {
    if (request.op === "events") {
      sent = reply.raw(
        EVENTS.map((event) => JSON.stringify({ id: request.id, event }) + "\n")
          .join(""),
      );
      await sent;
    } else if (request.op === "info") {
      await sent;
      await reply.ok({ info: { ...FAKE_INFO, boot: BOOT, uptime: NOW } });
    }
  };
}

/** `nitroctl ARGS` run by `run` against a daemon answering with `handler`. */
async function run(
  command: typeof runBlame,
  args: string[],
  handler: Handler = history(),
) {
  await using daemon = await FakeDaemon.start(handler);
  using client = await NitroClient.connect(daemon.path);
  const line = await parseCommandLine({ name: "nitroctl", args });
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(client, line, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err, requests: daemon.requests.map((r) => r.op) };
}

Deno.test("runBlame: the blame lines, one out() each, from one snapshot", async () => {
  const r = await run(runBlame, ["blame"]);
  assert.equal(r.code, EXIT.ok);
  assert.deepEqual(r.out, blameLines(EVENTS, BOOT, NOW));
  assert.equal(
    r.out[0],
    "boot not over after 8.000s (3 services; still trying: stuck)",
  );
  assert.deepEqual(r.err, []);
  assert.deepEqual(r.requests, ["events", "info"]);
});

Deno.test("runBlame --json: every row as one line", async () => {
  const r = await run(runBlame, ["--json", "blame"]);
  assert.equal(r.code, EXIT.ok);
  assert.equal(r.out.length, 1);
  assert.deepEqual(JSON.parse(r.out[0]), blameRows(EVENTS, BOOT, NOW));
  const stuck = JSON.parse(r.out[0]).find((row: { name: string }) =>
    row.name === "stuck"
  );
  assert.equal(stuck.took, NOW - 1130);
});

Deno.test("runPlot: one SVG document, drawn to nitro's now, no trailing newline", async () => {
  const r = await run(runPlot, ["plot"]);
  assert.equal(r.code, EXIT.ok);
  assert.equal(r.out.length, 1);
  assert.equal(r.out[0], plotSvg(EVENTS, BOOT, { now: NOW }).trimEnd());
  assert.ok(r.out[0].startsWith("<svg") || r.out[0].startsWith("<?xml"));
  assert.ok(r.out[0].endsWith("</svg>"));
});

Deno.test("runPlot --json: the timeline it would draw", async () => {
  const r = await run(runPlot, ["--json", "plot"]);
  assert.equal(r.code, EXIT.ok);
  assert.deepEqual(
    JSON.parse(r.out[0]),
    JSON.parse(JSON.stringify(plotTimeline(EVENTS, BOOT, { now: NOW }))),
  );
});

Deno.test("a refused snapshot rejects with nitro's error and prints nothing", async () => {
  const refusing: Handler = (request, reply) =>
    request.op === "events" ? reply.fail("busy", "too many clients") : null;
  for (const command of [runBlame, runPlot]) {
    await using daemon = await FakeDaemon.start(refusing);
    using client = await NitroClient.connect(daemon.path);
    const line = await parseCommandLine({ name: "nitroctl", args: ["blame"] });
    const out: string[] = [];
    const error = await command(client, line, {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    }).then(() => null, (e) => e);
    assert.ok(error instanceof NitroError, String(error));
    assert.equal(error.code, "busy");
    assert.deepEqual(out, []);
  }
});
