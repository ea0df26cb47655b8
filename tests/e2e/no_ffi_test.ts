/**
 * nitro outside pid 1 (issue 4): it runs with exactly `PERMISSIONS.nitro`,
 * which has no `--allow-ffi` — the FFI module is reachable only through a
 * dynamic import that only pid 1 takes — and it works when started with
 * fds 0–2 closed, handing its services /dev/null.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import {
  descendantsOf,
  eventually,
  Nitro,
  nitroArgs,
  parseInfo,
  runCtl,
  strayFds,
  writeServices,
} from "../helpers/nitro.ts";
import { linesOf, REPO_ROOT, sh } from "../helpers/common.ts";

const ROOT = REPO_ROOT;
const LIBC = new URL("../../src/init/libc.ts", import.meta.url).href;

Deno.test("PERMISSIONS.nitro grants no FFI; nitro-init adds --allow-all", () => {
  const plain: readonly string[] = PERMISSIONS.nitro;
  const init: readonly string[] = PERMISSIONS["nitro-init"];
  assert.deepEqual(
    plain.filter((f) => /^--allow-(ffi|all)\b|^-A$/.test(f)),
    [],
  );
  assert.deepEqual(init.filter((f) => !plain.includes(f)).length, 1);
  assert.equal(init.find((f) => !plain.includes(f)), "--allow-all");
});

Deno.test("the FFI module is only a dynamic dependency of cli/nitro.ts", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(ROOT, "cli/nitro.ts")],
    env: { NO_COLOR: "1" },
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: {
        code?: { specifier: string };
        isDynamic?: boolean;
      }[];
    }[];
  };
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  // What loads when nitro starts: the static closure of code imports.
  const staticSet = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const spec = todo.pop()!;
    if (staticSet.has(spec)) continue;
    staticSet.add(spec);
    for (const dep of modules.get(spec)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  // The pid-1 module itself loads only as pid 1.
  const pid1 = new URL("../../src/init/pid1.ts", import.meta.url).href;
  assert.ok(modules.has(pid1), "pid1.ts is in the graph");
  assert.ok(!staticSet.has(pid1), "pid1.ts is loaded statically");
  assert.ok(!staticSet.has(LIBC), "libc.ts is loaded statically");
  // It is in the graph, imported dynamically, and only by pid1.ts.
  const importers = graph.modules.filter((m) =>
    m.dependencies?.some((d) => d.code?.specifier === LIBC)
  );
  assert.deepEqual(
    importers.map((m) => m.specifier.slice(m.specifier.indexOf("/src/"))),
    ["/src/init/pid1.ts"],
  );
  for (const m of importers) {
    for (const d of m.dependencies!.filter((d) => d.code?.specifier === LIBC)) {
      assert.equal(d.isDynamic, true);
    }
  }
  // Nothing else that loads statically opens a library.
  for (const spec of staticSet) {
    if (!spec.startsWith("file:")) continue;
    const text = await Deno.readTextFile(new URL(spec));
    assert.ok(!text.includes("Deno.dlopen("), `${spec} calls Deno.dlopen`);
  }
});

Deno.test("outside pid 1 nitro boots with exactly PERMISSIONS.nitro", async () => {
  const n = await Nitro.create({
    a: {
      run: "#!/bin/sh\necho >&3\nexec sleep 3600\n",
      "notification-fd": "3",
    },
  });
  try {
    await n.start({ flags: [...PERMISSIONS.nitro] });
    const up = await n.ctl(["-t", "10", "wait-up", "a"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      (await n.ctl(["list"])).stdout,
      /^UP a \(pid \d+\) \(wstatus \d+\) \d+s\n$/,
    );
    const info = parseInfo((await n.ctl(["--json", "info"])).stdout);
    assert.equal(info.pid1, "false");
    assert.equal(info.pid, String(n.pid));
    assert.doesNotMatch(n.stderr, /ffi|PermissionDenied|NotCapable/i);
  } finally {
    await n.stop();
  }
});

Deno.test("outside pid 1, started with fds 0-2 closed: services get /dev/null", async () => {
  const root = await Deno.makeTempDir({ prefix: "nitro-nostdio-" });
  const dir = join(root, "svc");
  const env = {
    ...RUN_ENV,
    NITRO_SOCK: join(root, "nitro.sock"),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  writeServices(dir, {
    fds: {
      run: sh(
        "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1)",
        "c=$(readlink /proc/$$/fd/2)",
        'echo "$a $b $c" > ../../fds',
        "exec sleep 3600",
      ),
    },
  });
  const close = ["0<&-", "1>&-", "2>&-", ...strayFds().map((fd) => `${fd}>&-`)];
  const nitro = new Deno.Command("/bin/bash", {
    args: [
      "-c",
      `exec ${close.join(" ")}; exec "$@"`,
      "nitro",
      Deno.execPath(),
      ...nitroArgs([dir]),
    ],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await eventually(
      async () => {
        try {
          (await Deno.connect({ transport: "unix", path: env.NITRO_SOCK }))
            .close();
          return true;
        } catch {
          return false;
        }
      },
      15_000,
      "nitro's socket",
    );
    const up = await runCtl(["-t", "15", "wait-up", "fds"], env);
    assert.equal(up.code, 0, up.stderr);
    await eventually(() => linesOf(join(root, "fds")).length === 1);
    assert.deepEqual(linesOf(join(root, "fds")), [
      "/dev/null /dev/null /dev/null",
    ]);
    for (const fd of [0, 1, 2]) {
      assert.equal(
        Deno.readLinkSync(`/proc/${nitro.pid}/fd/${fd}`),
        "/dev/null",
      );
    }
    assert.equal(
      parseInfo((await runCtl(["--json", "info"], env)).stdout).pid1,
      "false",
    );
    const down = await runCtl(["Shutdown"], env);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await nitro.status).code, 0);
  } finally {
    const left = descendantsOf(nitro.pid);
    try {
      nitro.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await nitro.status;
    for (const pid of left) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    await Deno.remove(root, { recursive: true });
  }
});
