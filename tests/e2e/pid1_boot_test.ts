/**
 * The real nitro as pid 1 of a PID + mount namespace (issue 4): it boots a
 * service directory that nitroctl, outside the namespace, lists and
 * queries; it mounts a tmpfs on /run inside the namespace only; started
 * with fds 0–2 closed, it and its services run on /dev/null.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hostMounts } from "../init_fixtures/harness.ts";
import { linesOf, sh, shq, skipWithoutNamespaces } from "../helpers/common.ts";
import {
  eventually,
  Nitro,
  parseInfo,
  writeServices,
} from "../helpers/nitro.ts";

const skip = await skipWithoutNamespaces("pid1_boot_test");

Deno.test({
  name: "pid 1: boots the services; nitroctl outside lists them UP, info pid 1",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({
      a: { run: sh("exec sleep 3600") },
      b: { run: sh("exec sleep 3600") },
      c: { run: sh("exec sleep 3600"), down: "" },
    }, { pid1: true });
    try {
      await n.start();
      const up = await n.ctl(["-t", "10", "wait-up", "a", "b"]);
      assert.equal(up.code, 0, up.stderr);
      const list = await n.ctl(["list"]);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split("\n");
      assert.equal(lines.length, 3, list.stdout);
      assert.match(lines[0], /^UP a \(pid \d+\) \(wstatus \d+\) \d+s$/);
      assert.match(lines[1], /^UP b \(pid \d+\) \(wstatus \d+\) \d+s$/);
      assert.match(lines[2], /^DOWN c \(wstatus 0\) \d+s$/);

      const info = await n.ctl(["--json", "info"]);
      assert.equal(info.code, 0, info.stderr);
      const facts = parseInfo(info.stdout);
      assert.equal(facts.pid, "1");
      assert.equal(facts.pid1, "true");
      assert.equal(facts.services, "3");
      assert.equal(facts.dir, n.dir);

      // The services are nitro's children inside the namespace; the pids
      // nitroctl shows are the namespace's.
      const procs = n.processes();
      assert.equal(procs[0].nsPid, 1);
      const pids = lines.slice(0, 2).map((l) => /\(pid (\d+)\)/.exec(l)![1]);
      for (const pid of pids) {
        assert.ok(procs.some((p) => String(p.nsPid) === pid), `pid ${pid}`);
      }
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name:
    "pid 1: /run becomes a tmpfs inside the namespace; the host's mounts stay",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const n = await Nitro.create({
      // A file written into the namespace's tmpfs on /run is not on the host.
      probe: {
        run: sh(
          "fs=$(stat -f -c %T /run)",
          '[ "$fs" != tmpfs ] || echo x > /run/nitro-pid1-probe',
          'echo "$fs" > ../../run-fs',
          "exec sleep 3600",
        ),
      },
    }, { pid1: true });
    try {
      // Inside the (private, checked) namespace only: make /run a plain
      // directory whatever the host has there.
      await n.start({ setup: "while umount -l /run 2>/dev/null; do :; done" });
      await eventually(() => linesOf(n.path("run-fs")).length > 0);
      assert.deepEqual(linesOf(n.path("run-fs")), ["tmpfs"]);
      // The namespace's mount table, read from the host through nitro.
      const mounts = Deno.readTextFileSync(`/proc/${n.hostPid}/mountinfo`)
        .split("\n").map((l) => l.split(" "))
        .filter((f) => f[4] === "/run");
      assert.equal(mounts.length, 1, JSON.stringify(mounts));
      const fields = mounts[0];
      const fstype = fields[fields.indexOf("-") + 1];
      assert.equal(fstype, "tmpfs");
      assert.match(fields[5], /nosuid/);
      assert.match(fields[5], /nodev/);
      assert.equal(hostMounts(), before);
      assert.throws(() => Deno.statSync("/run/nitro-pid1-probe"));
    } finally {
      await n.stop();
    }
    assert.equal(hostMounts(), before);
  },
});

Deno.test({
  name: "pid 1: `nitro S` boots /etc/nitro.single (single-user mode)",
  ignore: skip !== null,
  fn: async () => {
    const before = hostMounts();
    const n = await Nitro.create({}, { pid1: true });
    // /etc/nitro.single exists only inside the namespace: an overlay on
    // /etc whose upper layer is in this test's directory.
    const single = n.path("single");
    writeServices(single, {
      rescue: {
        run: sh(`echo "$$ $PWD" > ${n.path("rescue")}`, "exec sleep 3600"),
      },
    });
    const upper = n.path("ovl", "upper");
    const work = n.path("ovl", "work");
    Deno.mkdirSync(upper, { recursive: true });
    Deno.mkdirSync(work, { recursive: true });
    try {
      await n.start({
        args: ["S"],
        setup: [
          `mount -t overlay nitro-etc -o lowerdir=/etc,upperdir=${
            shq(upper)
          },workdir=${shq(work)} /etc`,
          `cp -a ${shq(single)} /etc/nitro.single`,
        ].join("\n"),
      });
      const up = await n.ctl(["-t", "10", "wait-starting", "rescue"]);
      assert.equal(up.code, 0, up.stderr);
      const info = parseInfo((await n.ctl(["--json", "info"])).stdout);
      assert.equal(info.dir, "/etc/nitro.single");
      assert.equal(info.pid, "1");
      await eventually(() => linesOf(n.path("rescue")).length === 1);
      assert.match(
        linesOf(n.path("rescue"))[0],
        / \/etc\/nitro.single\/rescue$/,
      );
      assert.equal(hostMounts(), before);
      assert.throws(() => Deno.statSync("/etc/nitro.single"));
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name: "pid 1 started with fds 0-2 closed: works, services get /dev/null",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({
      fds: {
        run: sh(
          "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1)",
          "c=$(readlink /proc/$$/fd/2)",
          'echo "$a $b $c" > ../../fds',
          "exec sleep 3600",
        ),
      },
    }, { pid1: true });
    try {
      await n.start({ redirect: "0<&- 1>&- 2>&-" });
      const up = await n.ctl(["-t", "10", "wait-up", "fds"]);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(linesOf(n.path("fds")), [
        "/dev/null /dev/null /dev/null",
      ]);
      // nitro's own: Deno reopened the closed ones onto /dev/null.
      for (const fd of [0, 1, 2]) {
        assert.equal(
          Deno.readLinkSync(`/proc/${n.hostPid}/fd/${fd}`),
          "/dev/null",
        );
      }
      const info = parseInfo((await n.ctl(["--json", "info"])).stdout);
      assert.equal(info.pid, "1");
      // And it still ends cleanly.
      const down = await n.ctl(["Shutdown"]);
      assert.equal(down.code, 0, down.stderr);
      const status = await n.wait();
      assert.equal(status.code, 0);
      assert.equal(n.stdout + n.stderr, "");
    } finally {
      await n.stop();
    }
  },
});

Deno.test({
  name: "pid 1: an fd it inherited without close-on-exec reaches no service",
  ignore: skip !== null,
  fn: async () => {
    const n = await Nitro.create({
      svc: { run: sh("ls /proc/$$/fd > fds", "exec sleep 3600") },
    }, { pid1: true });
    const secret = n.path("secret");
    Deno.writeTextFileSync(secret, "root only\n", { mode: 0o600 });
    try {
      await n.start({ redirect: `7<${shq(secret)}` });
      const up = await n.ctl(["-t", "10", "wait-up", "svc"]);
      assert.equal(up.code, 0, up.stderr);
      // nitro has it (so it was inherited), the service has not.
      assert.equal(Deno.readLinkSync(`/proc/${n.hostPid}/fd/7`), secret);
      const listed = linesOf(n.path("svc/svc/fds"));
      assert.ok(listed.includes("2"), listed.join(" "));
      assert.ok(!listed.includes("7"), listed.join(" "));
      assert.ok(!n.stderr.includes("close-on-exec"), n.stderr);
    } finally {
      await n.stop();
    }
  },
});
