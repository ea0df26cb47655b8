/**
 * Our nitroctl against a real C nitro, verb by verb, compared with C's own
 * nitroctl in the same run: the same output (pids and seconds aside) and
 * the same exit status. Each case starts from the same state for both.
 */

import assert from "node:assert/strict";
import { parseServerLine } from "../../src/protocol.ts";
import { parseExposition } from "../helpers/exposition.ts";
import { CASES, changes, compareWithC, SERVICES } from "./spat_cases.ts";
import { cNitroOrSkip, RunningCNitro } from "./spat_helpers.ts";

Deno.test("C nitroctl's verbs that change states: ours prints and exits as C's", async () => {
  await compareWithC(CASES.filter((c) => changes(c.args)));
});

Deno.test("--json against C nitro: the shapes of this project's protocol", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, SERVICES);
  await nitro.cctl(["start", "a"]);
  /** Our --json output as the field of an answer the client accepts. */
  const answer = async (args: string[], field: string, code = 0) => {
    const r = await nitro.ours(["--json", ...args]);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    const value = JSON.parse(r.stdout);
    const parsed = parseServerLine(
      JSON.stringify({ ok: true, [field]: value }),
    );
    assert.ok(parsed.ok, `${args.join(" ")}: ${JSON.stringify(parsed)}`);
    return value;
  };

  const list = await answer(["list"], "services");
  const text = (await nitro.cctl(["list"])).stdout.trim().split("\n");
  assert.deepEqual(
    list.map((s: { state: string; name: string }) => `${s.state} ${s.name}`),
    text.map((l) => l.split(" ").slice(0, 2).join(" ")),
  );
  const a = list.find((s: { name: string }) => s.name === "a");
  assert.equal(a.pid, Number((await nitro.cctl(["pidof", "a"])).stdout));

  const info = await answer(["info"], "info");
  assert.equal(info.pid, nitro.child.pid);
  assert.equal(info.services, 3);
  assert.equal(info.version, null); // C nitro does not say: not made up
  assert.equal(info.fds, null);

  const details = await answer(["status", "a", "f"], "details");
  assert.deepEqual(details.map((d: { name: string }) => d.name), ["a", "f"]);
  assert.equal(details[0].restarts, null);
  assert.equal(details[1].state, "FATAL");
  assert.equal(details[1].reason, null);

  assert.deepEqual(await answer(["start", "d"], "results"), [
    { name: "d", state: "UP", ok: true },
  ]);
  assert.deepEqual(await answer(["stop", "d"], "results"), [
    { name: "d", state: "DOWN", ok: true },
  ]);
  assert.deepEqual(await answer(["start", "f"], "results", 1), [
    {
      name: "f",
      state: "FATAL",
      ok: false,
      // C nitro gives no reason: nitroctl's words alone.
      error: { code: "fatal", message: "FATAL", service: "f" },
    },
  ]);
  assert.deepEqual(await answer(["hup", "d"], "results", 111), [
    {
      name: "d",
      state: "DOWN",
      ok: false,
      error: {
        code: "no-process",
        message: "no process to signal",
        service: "d",
      },
    },
  ]);
  const pids = await answer(["pidof", "a", "d"], "pids", 1);
  assert.deepEqual(Object.keys(pids), ["a", "d"]);
  assert.equal(pids.d, null);
  assert.deepEqual(await answer(["rescan"], "results"), []);

  const nope = await nitro.ours(["--json", "start", "nope"]);
  assert.equal(nope.code, 111);
  // One JSON document on stdout also on failure; the human line on stderr.
  assert.deepEqual(JSON.parse(nope.stdout), {
    ok: false,
    error: {
      code: "no-such-service",
      message: "no such service",
      service: "nope",
    },
  });
  assert.match(nope.stderr, /nope/);
  assert.deepEqual(nitro.leftovers(), []);
});

Deno.test("status, metrics, blame and plot against C nitro", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, SERVICES);
  await nitro.cctl(["start", "a"]);

  const status = await nitro.ours(["status", "a", "f"]);
  assert.equal(status.code, 0, status.stderr);
  const pid = (await nitro.cctl(["pidof", "a"])).stdout.trim();
  assert.match(
    status.stdout,
    new RegExp(
      `^a\\n  state:     UP for \\d+s\\n  pid:       ${pid}\\n` +
        "  uptime:    \\d+s\\n  last exit: unknown \\(wstatus 0\\)\\n" +
        "  restarts:  unknown\\n  logger:    unknown\\n  readiness: unknown\\n" +
        "\\nf\\n  state:     FATAL for \\d+s\\n  pid:       -\\n  uptime:    -\\n" +
        "  last exit: unknown \\(wstatus -1\\)\\n  restarts:  unknown\\n" +
        "  logger:    unknown\\n  readiness: unknown\\n  reason:    unknown\\n$",
    ),
  );
  const unknown = await nitro.ours(["status", "a", "nope"]);
  assert.equal(unknown.code, 111);
  assert.equal(unknown.stderr, "nitroctl: no such service 'nope'\n");

  const metrics = await nitro.ours(["metrics"]);
  assert.equal(metrics.code, 0, metrics.stderr);
  const names = new Set(parseExposition(metrics.stdout).type.keys());
  assert.ok(names.has("nitro_service_state"));
  assert.ok(names.has("nitro_reaps_total"));
  // What C nitro does not tell is left out, not made up.
  for (
    const absent of [
      "nitro_open_fds",
      "nitro_service_restarts_total",
      "nitro_info",
    ]
  ) {
    assert.ok(!names.has(absent), absent);
  }

  for (const verb of ["blame", "plot"]) {
    const r = await nitro.ours([verb]);
    assert.deepEqual([r.code, r.stdout], [2, ""]);
    assert.equal(
      r.stderr,
      `nitroctl: ${verb} is not available from C nitro (it keeps no history of events)\n`,
    );
  }
  assert.deepEqual(nitro.leftovers(), []);
});
