/**
 * The real nitro as pid 1 of a PID namespace reaps orphans: a
 * service double-forks 100 short-lived orphans, which nitro inherits; none
 * stays a zombie, while the exit statuses of nitro's own services still
 * reach their `finish` scripts intact.
 *
 * @module
 */

import assert from "node:assert/strict";
import { linesOf, sh, skipWithoutNamespaces } from "../helpers/common.ts";
import { eventually, Nitro, parseInfo, type Proc } from "../helpers/nitro.ts";

const skip = await skipWithoutNamespaces("pid1_reap_test");

const finish = (file: string) => sh(`echo "$1 $2" >> ../../${file}`);

Deno.test({
  name: "pid 1: 100 orphans leave no zombie; finish still gets 7 0 and -1 9",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({
      // `(cmd &)`: the subshell exits at once, so cmd is re-parented to the
      // namespace's init, nitro. Spread over ~2 s, in batches of 10.
      orphans: {
        run: sh(
          "i=0",
          "while [ $i -lt 100 ]; do",
          "  if [ $((i % 2)) = 0 ]; then (sleep 0.3 &); else (true &); fi",
          "  i=$((i + 1))",
          "  if [ $((i % 10)) = 0 ]; then sleep 0.2; fi",
          "done",
          "echo done > ../../orphans-done",
          "exec sleep 3600",
        ),
      },
      // Restarted every 2 s (DELAY) while the orphans come and go.
      seven: { run: sh("exit 7"), finish: finish("seven") },
      killed: { run: sh("kill -9 $$"), finish: finish("killed") },
    }, { pid1: true });
    try {
      await n.start();
      await eventually(
        () =>
          linesOf(n.path("orphans-done")).length === 1 &&
          linesOf(n.path("seven")).length >= 2 &&
          linesOf(n.path("killed")).length >= 2,
        15_000,
        "the orphans and two finishes of each service",
      );
      // Every status arrived as it was: none was taken by the orphan reaper.
      // Read before the stop: a run the stop catches alive ends by its
      // SIGTERM (-1 15), which is right, and not what this checks.
      const seven = linesOf(n.path("seven"));
      const killed = linesOf(n.path("killed"));
      assert.deepEqual(seven, seven.map(() => "7 0"));
      assert.deepEqual(killed, killed.map(() => "-1 9"));
      const down = await n.ctl(["-t", "10", "stop", "seven", "killed"]);
      assert.equal(down.code, 0, down.stderr);

      const zombies = () => n.processes().filter((p) => p.state === "Z");
      const orphans = () =>
        n.processes().filter((p) => p.comm === "sleep" && p.nsPid !== 1);
      let left: Proc[] = [];
      try {
        await eventually(() => {
          left = [...zombies(), ...orphans()];
          // Only the service's own `sleep 3600` may be left.
          return left.length === 1 && left[0].state !== "Z";
        }, 5_000);
      } catch {
        assert.fail(
          `${left.length} left in the namespace, e.g. ` +
            JSON.stringify(left.slice(0, 5)),
        );
      }
      assert.deepEqual(zombies(), []);

      const info = parseInfo((await n.ctl(["--json", "info"])).stdout);
      assert.equal(info.pid1, "true");
      assert.ok(Number(info.reaps) >= 100, `reaps ${info.reaps}`);
      const list = await n.ctl(["list", "orphans"]);
      assert.match(list.stdout, /^UP orphans \(pid \d+\)/);
    } finally {
      await n.stop();
    }
  },
});
