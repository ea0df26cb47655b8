import { strictEqual as assertEquals } from "node:assert/strict";
import { Nitro } from "../helpers/nitro.ts";

Deno.test("smoke: a service comes up and nitroctl lists it", async () => {
  const n = await Nitro.create({ a: { run: "#!/bin/sh\nexec sleep 100\n" } });
  try {
    await n.start();
    const r = await n.ctl(["start", "a"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await n.states()).a.state, "UP");
  } finally {
    await n.stop();
  }
});
