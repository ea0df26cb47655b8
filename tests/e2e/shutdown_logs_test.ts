/**
 * No line is lost at shutdown: once every writer of a logger has
 * ended, nitro lets go of its own hold on the logger's pipe, so a logger
 * that is not `cat` reads to the end and exits by itself; it is signalled
 * only when the usual 7 s stop limit expires.
 *
 * @module
 */

import assert from "node:assert/strict";
import { eventually, Nitro, writeServices } from "../helpers/nitro.ts";
import { exists, runCommand } from "../helpers/common.ts";
import { readOr, sh, within } from "../helpers/daemon.ts";

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

Deno.test("the demo keeps its goodbye lines in 10 of 10 shutdowns", async () => {
  const demo = new URL("../../fixtures/demo/", import.meta.url).pathname;
  for (let round = 0; round < 10; round++) {
    const n = await Nitro.create();
    // A copy of the demo: its timestamping LOG prints to nitro's stdout.
    await copyTree(demo, n.dir);
    try {
      await n.start();
      await eventually(() => n.stdout.includes("web: listening"));
      await eventually(() => n.stdout.includes("greeter@world"));
      await n.ctl(["Shutdown"]);
      await within(n.exitStatus!, 20_000, "nitro to exit");
      for (
        const bye of [
          /web: SIGTERM, closing connections, bye/,
          /goodbye, world/,
        ]
      ) {
        assert.match(n.stdout, bye, `round ${round}`);
      }
    } finally {
      await n.stop();
    }
  }
});

/** Copy a directory tree (files keep their mode, links stay links). */
async function copyTree(from: string, to: string): Promise<void> {
  const r = await runCommand("/bin/cp", { args: ["-a", `${from}.`, to] });
  assert.equal(r.code, 0, r.stderr);
}
