/**
 * A plain logger (a service directory of its own that a `log` link names)
 * with a real nitro: it does not start at boot by itself, so a `down`
 * writer leaves it down; it starts with its writer. The logger sorts before
 * its writer, the order in which C nitro would start it at boot.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Nitro } from "../helpers/nitro.ts";

const SLEEP = "#!/bin/sh\nexec sleep 3600\n";
const LOGGER = "#!/bin/sh\nexec cat > /dev/null\n";

Deno.test("a down writer does not start its plain logger; starting the writer does", async () => {
  const n = await Nitro.create({
    alog: { run: LOGGER },
    web: { run: SLEEP, down: "", log: { link: "../alog" } },
    other: { run: SLEEP },
  });
  try {
    await n.start();
    const booted = await n.ctl(["-t", "10", "wait-up", "other"]);
    assert.equal(booted.code, 0, booted.stderr);
    const before = await n.states();
    assert.equal(before.web?.state, "DOWN");
    assert.equal(before.alog?.state, "DOWN", JSON.stringify(before));
    assert.equal(before.alog?.pid, null);

    const up = await n.ctl(["-t", "10", "start", "web"]);
    assert.equal(up.code, 0, up.stderr);
    const after = await n.states();
    assert.match(after.alog?.state ?? "", /^(STARTING|UP)$/);
    assert.notEqual(after.alog?.pid, null);
  } finally {
    await n.stop();
  }
});
