/**
 * No line is lost at shutdown (spec §4): once every writer of a logger has
 * ended, nitro lets go of its own hold on the logger's pipe, so a logger
 * that is not `cat` reads to the end and exits by itself; it is signalled
 * only when the usual 7 s stop limit expires.
 *
 * @module
 */

import assert from "node:assert/strict";
import { eventually, Nitro, writeServices } from "./helpers/nitro.ts";
import { exists } from "./helpers/common.ts";
import { readOr, sh, within } from "./helpers/daemon.ts";

Deno.test("a slow logger keeps all 300 lines written just before Shutdown", async () => {
  const n = await Nitro.create();
  const out = `${n.root}/out`;
  const go = `${n.root}/go`;
  writeServices(n.dir, {
    LOG: {
      // One line per 10 ms, far slower than the writer (perl: no fork per
      // line, so the pace holds on a loaded machine too).
      run: sh(
        `exec perl -ne '$|=1; print; select(undef, undef, undef, 0.01)' >> ${out}`,
      ),
    },
    web: {
      run: sh(
        // Wait for the go, write 300 lines at once, then stay up.
        `while [ ! -e ${go} ]; do sleep 0.05; done`,
        "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done",
        `touch ${go}.done`,
        "exec sleep 1000",
      ),
    },
  });
  try {
    await n.start();
    await n.ctl(["-t", "10", "wait-starting", "web", "LOG"]);
    Deno.writeTextFileSync(go, "");
    await eventually(() => exists(`${go}.done`));
    const r = await n.ctl(["Shutdown"]);
    assert.equal(r.code, 0, r.stderr);
    const status = await within(n.exitStatus!, 20_000, "nitro to exit");
    assert.equal(status.code, 0, n.stderr);
    const lines = readOr(out).split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 300, `${lines.length} of 300 lines kept`);
    assert.equal(lines[299], "line 299");
  } finally {
    await n.stop();
  }
});

Deno.test("a timestamping logger keeps its writers' goodbye lines in 5 of 5 shutdowns", async () => {
  for (let round = 0; round < 5; round++) {
    const n = await Nitro.create();
    const out = `${n.root}/out`;
    writeServices(n.dir, {
      LOG: {
        run: sh(
          `while IFS= read -r l; do printf '%s %s\\n' "$(date +%s)" "$l" >> ${out}; done`,
        ),
      },
      web: {
        run: sh(
          "trap 'echo bye 1; echo bye 2; echo bye 3; exit 0' TERM",
          "echo hello",
          "while :; do sleep 0.1; done",
        ),
      },
    });
    try {
      await n.start();
      await eventually(() => readOr(out).includes("hello"));
      await n.ctl(["Shutdown"]);
      await within(n.exitStatus!, 20_000, "nitro to exit");
      for (const bye of ["bye 1", "bye 2", "bye 3"]) {
        assert.match(readOr(out), new RegExp(bye), `round ${round}: ${bye}`);
      }
    } finally {
      await n.stop();
    }
  }
});
