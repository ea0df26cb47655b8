/**
 * The runtime directory lives as long as the socket: across in-process
 * reboots (`nitroctl Reboot` outside pid 1 boots again in the same
 * process) it is never removed and made again. A local user looping
 * `mkdir` at its path, in a sticky world-writable directory as /tmp, never
 * gets it: after each reboot it is still root's, private, and the services
 * come back UP with their logger.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { RUN_ENV } from "../../ci/permissions.ts";
import {
  eventually,
  Nitro,
  nitroArgs,
  writeServices,
} from "../helpers/nitro.ts";
import { asTestUser, TEST_USER, testUser } from "../helpers/test_user.ts";

const user = await testUser();
if (typeof user === "string") {
  console.warn(`reboot_squat_test: skipped (${user})`);
}

const REBOOTS = 6;

Deno.test({
  name: "a user looping mkdir at the runtime directory never wins over reboots",
  ignore: typeof user === "string",
  fn: async () => {
    const root = Deno.makeTempDirSync({ prefix: "nitro-squat-" });
    Deno.chmodSync(root, 0o755);
    const sticky = join(root, "tmp");
    Deno.mkdirSync(sticky);
    Deno.chmodSync(sticky, 0o1777);
    const n = new Nitro(sticky);
    const out = join(root, "wlog.out");
    // Ready at once (notification-fd): a boot does not wait 2 s for UP.
    writeServices(n.dir, {
      web: {
        run: "#!/bin/sh\necho >&3\nexec 3>&-\n" +
          "while :; do echo tick; sleep 0.05; done\n",
        "notification-fd": "3\n",
        log: { link: "../wlog" },
      },
      wlog: {
        run: `#!/bin/sh\necho >&3\nexec cat >> ${out} 3>&-\n`,
        "notification-fd": "3\n",
      },
    });
    const runtime = `${n.sock}.d`;
    let squatter: Deno.ChildProcess | null = null;
    try {
      await n.start();
      // Its own session: killed by its group at the end, whatever it forked.
      squatter = new Deno.Command("setsid", {
        args: [
          "runuser",
          "-u",
          TEST_USER,
          "--",
          // No fork per attempt: the window of the old code (removed at
          // the end of a boot, made at the next) was well under 1 ms.
          "perl",
          "-e",
          "while (1) { mkdir $ARGV[0] }",
          runtime,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const lines = () => {
        try {
          return Deno.readTextFileSync(out).length;
        } catch {
          return 0;
        }
      };
      for (let i = 0; i < REBOOTS; i++) {
        const before = await n.states();
        const r = await n.ctl(["-t", "10", "Reboot"]);
        assert.equal(r.code, 0, r.stderr);
        await eventually(
          async () => {
            const now = await n.states();
            return now.web?.state === "UP" && now.wlog?.state === "UP" &&
              now.web.pid !== before.web?.pid;
          },
          20_000,
          () => `boot ${i + 2} with web and wlog UP:\n${n.stderr}`,
        );
        const logged = lines();
        await eventually(() => lines() > logged, 10_000, "web logging");
        const info = Deno.lstatSync(runtime);
        assert.ok(info.isDirectory && info.uid === 0, `reboot ${i + 1}`);
        assert.equal(info.mode! & 0o7777, 0o700);
      }
      assert.doesNotMatch(n.stderr, /owned by uid|internal error|FATAL/);
    } finally {
      if (squatter !== null) {
        try {
          Deno.kill(-squatter.pid, "SIGKILL");
        } catch {
          // Gone.
        }
        await squatter.status;
      }
      await n.stop();
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a runtime directory squatted before nitro starts: exit 111, the owner named",
  ignore: typeof user === "string",
  fn: async () => {
    const root = Deno.makeTempDirSync({ prefix: "nitro-squat-" });
    Deno.chmodSync(root, 0o755);
    const sticky = join(root, "tmp");
    Deno.mkdirSync(sticky);
    Deno.chmodSync(sticky, 0o1777);
    try {
      const sock = join(sticky, "nitro.sock");
      const mk = await asTestUser("mkdir", `${sock}.d`);
      assert.equal(mk.code, 0, mk.stderr);
      const svc = join(root, "svc");
      writeServices(svc, { web: { run: "#!/bin/sh\nexec sleep 1000\n" } });
      const r = await new Deno.Command(Deno.execPath(), {
        args: nitroArgs([svc]),
        env: { ...RUN_ENV, NITRO_SOCK: sock },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 111, stderr);
      assert.match(
        stderr,
        new RegExp(`nitro\\.sock\\.d: owned by uid ${user}`),
      );
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});
