/**
 * Terminal job control cannot stop nitro: nitro runs as a background job
 * (`set -m; nitro &`) on a pseudo-terminal made by `script(1)`, which is
 * its controlling terminal and its stderr. An unprivileged service sets
 * TOSTOP on that terminal; nitro's next console line would then stop it
 * with SIGTTOU (state T: `list` hangs). It must go on supervising and
 * answering, and its services must still start with SIGTTOU and SIGTTIN at
 * their default dispositions.
 */

import assert from "node:assert/strict";
import { descendantsOf, eventually, Nitro } from "../helpers/nitro.ts";
import { procStat, shq } from "../helpers/common.ts";
import { TEST_USER, testUser } from "../helpers/test_user.ts";

const user = await testUser();
const skip = Deno.build.os !== "linux"
  ? "Linux only"
  : typeof user === "string"
  ? user
  : null;
if (skip !== null) console.warn(`job_control_test: skipped (${skip})`);

/** `SigIgn` and `SigCgt` of a process, as bit masks. */
function dispositions(pid: number): { ignored: bigint; caught: bigint } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const mask = (key: string) =>
    BigInt(`0x${new RegExp(`^${key}:\\s*([0-9a-f]+)`, "m").exec(status)![1]}`);
  return { ignored: mask("SigIgn"), caught: mask("SigCgt") };
}

/** `nitroctl list` with a timeout: a stopped nitro must fail the test. */
async function states(
  n: Nitro,
): Promise<Record<string, { state: string; pid: number | null }>> {
  const r = await n.ctl(["-t", "10", "--json", "list"]);
  assert.equal(r.code, 0, `list: ${r.stderr}`);
  const list = JSON.parse(r.stdout) as {
    name: string;
    state: string;
    pid: number | null;
  }[];
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

/** The bit of signal `n` in a /proc mask. */
const bit = (n: number) => 1n << BigInt(n - 1);
const SIGTTIN = 21;
const SIGTTOU = 22;

Deno.test({
  name: "TOSTOP set by a service on nitro's terminal does not stop nitro",
  ignore: skip !== null,
  async fn() {
    const n = await Nitro.create({
      // As the unprivileged user, on the terminal it inherited as stderr.
      tostop: {
        run: "#!/bin/sh\n" +
          `runuser -u ${TEST_USER} -- stty tostop 0<&2 && echo set > done\n` +
          "exec sleep 3600\n",
      },
      other: { run: "#!/bin/sh\nexec sleep 3600\n" },
      // Not executable: starting it makes nitro write a console line.
      broken: { run: "echo never\n", down: "" },
    });
    try {
      await n.start({
        // A job-control shell puts nitro in a background process group.
        wrap: (argv) => [
          "script",
          "-qfec",
          // The shell stays the session's leader, in the foreground: were it to
          // end, the terminal would be hung up and nitro freed by accident.
          `sh -c ${
            shq(`set -m; ${argv.map(shq).join(" ")} & exec sleep 3600`)
          }`,
          "/dev/null",
        ],
      });
      const nitro = descendantsOf(n.pid).find((pid) => {
        try {
          return procStat(pid)?.comm === "deno" &&
            Deno.readTextFileSync(`/proc/${pid}/cmdline`)
              .includes("cli/nitro.ts");
        } catch {
          return false;
        }
      });
      assert.ok(nitro, "nitro among the descendants of script(1)");
      const stat = procStat(nitro)!;
      assert.notEqual(
        stat.fields[2],
        stat.fields[5],
        "nitro is in the background",
      );

      await eventually(
        () => {
          try {
            return Deno.readTextFileSync(`${n.dir}/tostop/done`) !== "";
          } catch {
            return false;
          }
        },
        20_000,
        "the service to set TOSTOP",
      );
      // A console line from nitro, on the terminal that now has TOSTOP.
      assert.equal((await n.ctl(["-t", "10", "up", "broken"])).code, 0);
      await eventually(
        async () => (await states(n)).broken.state === "FATAL",
        20_000,
        "broken to fail",
      );
      // And the line got through: nitro's console does not wait for the
      // terminal to allow background writes.
      await n.waitForOutput("- nitro: broken: run is not executable", 20_000);
      // Still supervising: answering, and restarting a killed service.
      const before = (await states(n)).other.pid!;
      Deno.kill(before, "SIGKILL");
      await eventually(
        async () => {
          const other = (await states(n)).other;
          return other.state === "UP" && other.pid !== before;
        },
        20_000,
        "other to be restarted",
      );
      assert.equal((await n.ctl(["-t", "10", "list"])).code, 0);
      assert.notEqual(procStat(nitro)!.state, "T", "nitro is not stopped");

      // Services start with the default dispositions.
      const other = dispositions((await states(n)).other.pid!);
      for (const sig of [SIGTTIN, SIGTTOU]) {
        assert.equal(other.ignored & bit(sig), 0n);
        assert.equal(other.caught & bit(sig), 0n);
      }
    } finally {
      await n.stop();
    }
  },
});
