/**
 * The container files without a container engine: what `rootfs.ts` gathers
 * for each flavour, what it refuses, and the pure parts of the
 * containertest driver (the pod manifest it plays, its readings).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildContext,
  CONTAINERFILES,
  ContextError,
  IMAGE,
} from "../../ci/container/rootfs.ts";
import { LAUNCHER_MARK, SYSV_NAMES } from "../../ci/build.ts";
import { LIBC_PATHS } from "../../src/init/libc_paths.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import { podManifest, probeCommand, servicesOf } from "./main.ts";

const HERE = join(REPO_ROOT, "ci/container");

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "nitro-context-test-" });
}

Deno.test("rootfs offline: busybox, Deno and its libc, sources, launchers, services, /run", async () => {
  const dir = await tempDir();
  try {
    await buildContext("offline", join(dir, "ctx"));
    const root = join(dir, "ctx/rootfs");
    assert.equal(
      await Deno.readTextFile(join(dir, "ctx/Containerfile")),
      await Deno.readTextFile(join(HERE, CONTAINERFILES.offline)),
    );
    const launcher = await Deno.readTextFile(join(root, IMAGE.nitro));
    assert.ok(launcher.includes(LAUNCHER_MARK), launcher);
    // The launcher runs the image's Deno on the image's sources.
    assert.match(
      launcher,
      new RegExp(
        `^exec ${IMAGE.deno} run .* ${IMAGE.src}/cli/nitro\\.ts "\\$@"$`,
        "m",
      ),
    );
    const ctl = await Deno.readTextFile(join(root, IMAGE.nitroctl));
    assert.match(
      ctl,
      new RegExp(` ${IMAGE.src}/cli/nitroctl\\.ts "\\$@"$`, "m"),
    );
    for (
      const file of [
        IMAGE.deno,
        `${IMAGE.src}/cli/nitro.ts`,
        `${IMAGE.src}/src/daemon/main.ts`,
        `${IMAGE.src}/deno.json`,
        "/bin/busybox",
        `${IMAGE.services}/web/run`,
        `${IMAGE.services}/ticker/run`,
        "/srv/www/index.html",
      ]
    ) {
      assert.ok((await Deno.stat(join(root, file))).isFile, file);
    }
    assert.ok((await Deno.stat(join(root, IMAGE.deno))).mode! & 0o100);
    assert.ok(
      (await Deno.stat(join(root, IMAGE.services, "web/run"))).mode! & 0o100,
    );
    // The libc that pid 1's FFI opens, at a path its permission names.
    const libc = [];
    for (const p of LIBC_PATHS) {
      if (await Deno.stat(join(root, p)).catch(() => null)) libc.push(p);
    }
    assert.ok(libc.length > 0, "no libc at any of LIBC_PATHS");
    assert.equal(await Deno.readLink(join(root, "bin/sh")), "/bin/busybox");
    // The sysvinit names are not busybox's, which would signal pid 1.
    for (const name of SYSV_NAMES) {
      for (const d of ["bin", "sbin", "usr/bin", "usr/sbin"]) {
        assert.equal(
          await Deno.lstat(join(root, d, name)).catch(() => null),
          null,
          `${d}/${name}`,
        );
      }
    }
    assert.ok((await Deno.stat(join(root, "run"))).isDirectory);
    assert.equal((await Deno.stat(join(root, "tmp"))).mode! & 0o7777, 0o1777);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rootfs compiled: the two binaries beside rootfs/, for COPY nitro nitroctl /bin/", async () => {
  const dir = await tempDir();
  try {
    // Stand-ins for deno compile's output: any programs will do here.
    const dist = join(dir, "dist");
    await Deno.mkdir(dist);
    await Deno.copyFile("/bin/true", join(dist, "nitro"));
    await Deno.copyFile("/bin/true", join(dist, "nitroctl"));
    await buildContext("compiled", join(dir, "ctx"), { dist });
    const containerfile = await Deno.readTextFile(
      join(dir, "ctx/Containerfile"),
    );
    assert.match(containerfile, /^COPY nitro nitroctl \/bin\/$/m);
    assert.match(
      containerfile,
      new RegExp(`^CMD \\["${IMAGE.nitro}"\\]$`, "m"),
    );
    for (const name of ["nitro", "nitroctl"]) {
      assert.ok((await Deno.stat(join(dir, "ctx", name))).mode! & 0o100);
    }
    assert.equal(
      await Deno.stat(join(dir, "ctx/rootfs", IMAGE.deno)).catch(() => null),
      null,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rootfs: refuses a non-empty directory, and compiled without dist/ says what to run", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(join(dir, "x"), "");
    await assert.rejects(
      buildContext("offline", dir),
      (e) => e instanceof ContextError && /not empty/.test(e.message),
    );
    await assert.rejects(
      buildContext("compiled", join(dir, "ctx"), { dist: join(dir, "none") }),
      (e) => e instanceof ContextError && /deno task compile/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pod.yaml: probes by nitroctl, a grace period beyond nitro's 7 + 7 s, and the test's names", async () => {
  const text = await Deno.readTextFile(join(HERE, "pod.yaml"));
  assert.match(
    text,
    new RegExp(`command: \\["${IMAGE.nitroctl}", "check", "web"\\]`),
  );
  assert.match(
    text,
    new RegExp(
      `command: \\["${IMAGE.nitroctl}", "wait-up", "-t", "1", "web"\\]`,
    ),
  );
  assert.deepEqual(probeCommand(text, "livenessProbe"), [
    IMAGE.nitroctl,
    "check",
    "web",
  ]);
  assert.deepEqual(probeCommand(text, "readinessProbe"), [
    IMAGE.nitroctl,
    "wait-up",
    "-t",
    "1",
    "web",
  ]);
  assert.equal(probeCommand("kind: Pod\n", "livenessProbe"), null);
  const grace = Number(text.match(/terminationGracePeriodSeconds: (\d+)/)?.[1]);
  assert.ok(grace > 14, `grace ${grace}`);
  const played = podManifest(text, "localhost/x-1:latest", "x-1-pod");
  assert.ok(played !== null);
  assert.match(played, /^ {6}image: localhost\/x-1:latest$/m);
  assert.match(played, /^ {2}name: x-1-pod$/m);
  assert.equal(played.match(/nitro-example:latest/), null);
  // A manifest without the example's names is not played blindly.
  assert.equal(podManifest("kind: Pod\n", "localhost/x:latest", "x"), null);
});

Deno.test("servicesOf reads nitroctl --json list; anything else is empty", () => {
  const map = servicesOf(
    '[{"name":"web","state":"UP","pid":7,"wstatus":0,"seconds":1}]\n',
  );
  assert.deepEqual(map.get("web")?.pid, 7);
  assert.equal(servicesOf("nitroctl: cannot reach nitro").size, 0);
});
