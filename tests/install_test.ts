/**
 * `deno task install`: the launchers exec the installing Deno by absolute
 * path with exactly the flags of ci/permissions.ts, so they work with a
 * PATH that has no `deno` (the npx case) and as pid 1; `halt`, `poweroff`,
 * `reboot` and `init` come only with `--system`; a Deno from a throw-away
 * cache earns a note. Also the pure parts of ci/build.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../ci/permissions.ts";
import {
  BASE_TARGETS,
  compileArgs,
  installRoot,
  installTargets,
  launcher,
  parseInstallArgs,
  RUN_FLAGS,
  shellQuote,
  SYSTEM_TARGETS,
  SYSV_NAMES,
  throwAwayDeno,
} from "../ci/build.ts";
import { LIBC_PATHS } from "../src/init/libc_paths.ts";
import {
  collect,
  descendantsOf,
  eventually,
  writeServices,
} from "./helpers/nitro.ts";
import { pathWithoutDeno } from "./helpers/no_deno.ts";
import { REPO_ROOT } from "./helpers/common.ts";

const ROOT = REPO_ROOT.replace(/\/$/, "");
const dec = new TextDecoder();

/** Whether a command-line word is one of the table's flags. */
function tableFlag(word: string): boolean {
  return word.startsWith("--allow") || word.startsWith("--v8-flags") ||
    word === "--no-config" || word === "--no-code-cache" ||
    word.startsWith("--unstable");
}

/** The words of a launcher's `exec` line (none of ours need unquoting). */
function execWords(text: string): string[] {
  const exec = text.split("\n").filter((l) => l.startsWith("exec "));
  assert.equal(exec.length, 1, `one exec line in:\n${text}`);
  return exec[0].split(" ").slice(1);
}

/** Run a program with exactly `env`; its status and output. */
async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd,
    stdin: "null",
  }).output();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("build: launcher text execs an absolute deno with the table's flags", () => {
  for (const t of installTargets(true)) {
    const text = launcher(t, { deno: "/opt/deno~2/deno", src: "/src" });
    assert.ok(text.startsWith("#!/bin/sh\n"), t.name);
    // Nothing a pid 1 without /proc, PATH or $0 would lack.
    const code = text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
    assert.doesNotMatch(code, /\/proc|\/usr\/bin\/env|\$0|\bdeno run\b/);
    const words = execWords(text);
    assert.equal(words[0], "'/opt/deno~2/deno'", "absolute, quoted");
    assert.deepEqual(words.slice(1, 2 + RUN_FLAGS.length), [
      "run",
      ...RUN_FLAGS,
    ]);
    assert.deepEqual(
      words.filter(tableFlag),
      [...PERMISSIONS[t.permissions]],
      `${t.name} flags`,
    );
    // No deno.json: the launcher never reads one (see ci/permissions.ts).
    assert.ok(words.includes("--no-config"), `${t.name} --no-config`);
    assert.ok(!words.some((w) => w.includes("deno.json")), t.name);
    const script = words.indexOf(join("/src", t.script));
    assert.ok(script > 0, `${t.name} script`);
    assert.deepEqual(words.slice(script + 1), [...t.args, '"$@"']);
    // RUN_ENV exported before the exec (tests/update_check_test.ts).
    const lines = text.split("\n");
    const exec = lines.findIndex((l) => l.startsWith("exec "));
    for (const [k, v] of Object.entries(RUN_ENV)) {
      const at = lines.indexOf(`export ${k}=${v}`);
      assert.ok(at >= 0 && at < exec, `${t.name} exports ${k}`);
    }
  }
  const nitro = BASE_TARGETS.find((t) => t.name === "nitro")!;
  assert.equal(nitro.permissions, "nitro-init");
  assert.ok(
    (PERMISSIONS["nitro-init"] as readonly string[]).includes(
      `--allow-ffi=${LIBC_PATHS.join(",")}`,
    ),
  );
  assert.deepEqual(
    SYSTEM_TARGETS.map((t) => [t.name, t.args]),
    SYSV_NAMES.map((n) => [n, [`--as=${n}`]]),
  );
  assert.deepEqual(installTargets(false).map((t) => t.name), [
    "nitro",
    "nitroctl",
  ]);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

Deno.test("build: compile uses the table's flags", () => {
  for (const t of BASE_TARGETS) {
    const c = compileArgs("/out/x", t);
    assert.deepEqual(c.filter(tableFlag), [...PERMISSIONS[t.permissions]]);
    assert.deepEqual(c.slice(c.indexOf("-o"), c.indexOf("-o") + 2), [
      "-o",
      "/out/x",
    ]);
    assert.equal(c.at(-1), join(ROOT, t.script));
  }
});

Deno.test("build: install options", () => {
  const defaults = {
    root: () => "/home/u/.deno",
    deno: "/d/deno",
    src: "/s",
    cwd: "/w",
  };
  assert.deepEqual(parseInstallArgs([], defaults), {
    root: "/home/u/.deno",
    deno: "/d/deno",
    src: "/s",
    system: false,
  });
  assert.deepEqual(
    parseInstallArgs(
      ["--system", "--root", "/img", "--deno", "/bin/deno", "--src=/n/"],
      defaults,
    ),
    { root: "/img", deno: "/bin/deno", src: "/n", system: true },
  );
  assert.deepEqual(parseInstallArgs(["-h"], defaults), { help: true });
  // Relative to where the user ran `deno task install`.
  assert.equal(
    (parseInstallArgs(["--root", "img/usr"], defaults) as { root: string })
      .root,
    "/w/img/usr",
  );
  for (
    const bad of [["--deno", "deno"], ["--src", "rel"], ["--bogus"], ["x"]]
  ) {
    assert.ok("error" in parseInstallArgs(bad, defaults), bad.join(" "));
  }
  assert.equal(installRoot({ DENO_INSTALL_ROOT: "/x" }), "/x");
  assert.equal(installRoot({ HOME: "/home/u" }), "/home/u/.deno");
});

Deno.test("build: which Deno paths are throw-away", () => {
  const env = { HOME: "/home/u", XDG_CACHE_HOME: "/var/cache/u" };
  const cases: [string, string | null][] = [
    ["/home/u/.npm/_npx/0a1b/node_modules/deno/deno", "npx's package cache"],
    ["/srv/x/_npx/1/node_modules/deno/deno", "npx's package cache"],
    ["/home/u/.cache/deno/bin/deno", "a cache directory"],
    ["/var/cache/u/deno", "a cache directory"],
    ["/tmp/deno", "a temporary directory"],
    ["/usr/lib/node_modules/deno/deno", null],
    ["/home/u/.deno/bin/deno", null],
    ["/usr/local/bin/deno", null],
    ["/tmpfoo/deno", null],
  ];
  for (const [path, want] of cases) {
    assert.equal(throwAwayDeno(path, env), want, path);
  }
});

Deno.test("deno task install: launchers work with no deno on PATH", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-install-" });
  let nitro: Deno.ChildProcess | null = null;
  let spawned: number[] = [];
  let readers: ReturnType<typeof collect>[] = [];
  try {
    const path = await pathWithoutDeno(join(tmp, "path"));
    const env = { PATH: path, HOME: Deno.env.get("HOME") ?? tmp };
    const root = join(tmp, "root");
    const bin = join(root, "bin");
    const inst = await run(
      Deno.execPath(),
      ["task", "--quiet", "install", "--root", root],
      env,
      ROOT,
    );
    assert.equal(inst.code, 0, inst.stderr + inst.stdout);
    assert.match(inst.stdout, /installed nitro, nitroctl in /);
    assert.match(inst.stdout, /deno task install --system/);
    assert.doesNotMatch(inst.stderr, /note:/, "a lasting Deno: no note");
    const names = [];
    for await (const e of Deno.readDir(bin)) names.push(e.name);
    assert.deepEqual(names.sort(), ["nitro", "nitroctl"]);
    for (const name of names) {
      const text = await Deno.readTextFile(join(bin, name));
      assert.equal(execWords(text)[0], Deno.execPath(), name);
    }

    // --help of both, as a newcomer would first try.
    for (const [name, arg] of [["nitro", "--help"], ["nitro", "-h"]]) {
      const r = await run(join(bin, name), [arg], env);
      assert.equal(r.code, 0, `${name} ${arg}: ${r.stderr}`);
      assert.match(r.stdout, /^usage: nitro \[DIR\]/);
      for (const word of ["single", "NITRO_SOCK", "HUP", "INT", "TERM"]) {
        assert.ok(r.stdout.includes(word), `${name} ${arg} mentions ${word}`);
      }
      assert.equal(r.stderr, "");
    }
    const bad = await run(join(bin, "nitro"), ["--bogus"], env);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /usage: nitro \[DIR\]/);
    const help = await run(join(bin, "nitroctl"), ["--help"], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /usage: nitroctl/);

    // Nothing behind the socket: unreachable, exit 111, one line.
    const missing = join(tmp, "missing", "nitro.sock");
    const r = await run(join(bin, "nitroctl"), ["list"], {
      ...env,
      NITRO_SOCK: missing,
    });
    assert.equal(r.code, 111, r.stderr);
    assert.match(r.stderr, /cannot reach nitro/);
    assert.equal(r.stderr.trim().split("\n").length, 1);

    // The real thing: nitro supervises a service, nitroctl controls it.
    const dir = join(tmp, "svc");
    writeServices(dir, {
      web: {
        run: "#!/bin/sh\necho web: up\necho >&3\nexec sleep 1000\n",
        "notification-fd": "3\n",
      },
    });
    const sock = join(tmp, "run", "nitro.sock");
    const ctlEnv = { ...env, NITRO_SOCK: sock };
    nitro = new Deno.Command(join(bin, "nitro"), {
      args: [dir],
      env: ctlEnv,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let out = "";
    let err = "";
    readers = [
      collect(nitro.stdout, (s) => out += s),
      collect(nitro.stderr, (s) => err += s),
    ];
    const child = nitro;
    await eventually(
      async () => {
        spawned = [child.pid, ...descendantsOf(child.pid)];
        const w = await run(join(bin, "nitroctl"), [
          "-t",
          "10",
          "wait-up",
          "web",
        ], ctlEnv);
        return w.code === 0;
      },
      20_000,
      "web UP through the launchers",
    );
    spawned = [child.pid, ...descendantsOf(child.pid)];
    const pidof = await run(join(bin, "nitroctl"), ["pidof", "web"], ctlEnv);
    assert.equal(pidof.code, 0, pidof.stderr);
    const pid = Number(pidof.stdout.trim());
    assert.ok(spawned.includes(pid), `web ${pid} is nitro's`);
    const stop = await run(join(bin, "nitroctl"), ["stop", "web"], ctlEnv);
    assert.equal(stop.code, 0, stop.stderr);
    await eventually(
      async () => {
        const l = await run(join(bin, "nitroctl"), ["list"], ctlEnv);
        return /^DOWN web/m.test(l.stdout);
      },
      10_000,
      "web DOWN",
    );
    const down = await run(join(bin, "nitroctl"), ["Shutdown"], ctlEnv);
    assert.equal(down.code, 0, down.stderr);
    const status = await nitro.status;
    nitro = null;
    await Promise.all(readers.map((r) => r.done));
    assert.equal(status.code, 0, err);
    assert.match(out, /web: up/);
  } finally {
    if (nitro !== null) {
      spawned = [nitro.pid, ...descendantsOf(nitro.pid), ...spawned];
      nitro.kill("SIGKILL");
      await nitro.status;
    }
    for (const r of readers) r.cancel();
    for (const pid of spawned) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone, as it should be.
      }
    }
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task install --system: and only then, halt poweroff reboot init", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-install-" });
  try {
    const path = await pathWithoutDeno(join(tmp, "path"));
    const env = { PATH: path, HOME: Deno.env.get("HOME") ?? tmp };
    const root = join(tmp, "root");
    const bin = join(root, "bin");
    const sys = await run(
      Deno.execPath(),
      ["task", "--quiet", "install", "--system", "--root", root],
      env,
      ROOT,
    );
    assert.equal(sys.code, 0, sys.stderr);
    assert.match(
      sys.stdout,
      /installed nitro, nitroctl, halt, poweroff, reboot, init in /,
    );
    const sock = join(tmp, "missing", "nitro.sock");
    for (
      const [name, args] of [
        ["halt", []],
        ["reboot", []],
        ["poweroff", []],
        ["init", ["q"]],
      ] as const
    ) {
      const text = await Deno.readTextFile(join(bin, name));
      assert.equal(execWords(text).at(-2), `--as=${name}`);
      const r = await run(join(bin, name), [...args], {
        ...env,
        NITRO_SOCK: sock,
      });
      assert.equal(r.code, 111, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /cannot reach nitro/, name);
      assert.ok(r.stderr.includes(sock), `${name} names the socket`);
    }

    // A plain install takes back what an earlier --system put there.
    const plain = await run(
      Deno.execPath(),
      ["task", "--quiet", "install"],
      { ...env, DENO_INSTALL_ROOT: root },
      ROOT,
    );
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /removed halt, poweroff, reboot, init/);
    const names = [];
    for await (const e of Deno.readDir(bin)) names.push(e.name);
    assert.deepEqual(names.sort(), ["nitro", "nitroctl"]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task install from npx's cache: a note says how to get a lasting Deno", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-install-" });
  try {
    // Where `npx -y deno@…` keeps its Deno. A hard link: Deno.execPath()
    // reports the path it was started by (a symlink would be resolved).
    const cache = join(tmp, ".npm", "_npx", "4f2a", "node_modules", "deno");
    await Deno.mkdir(cache, { recursive: true });
    const deno = join(cache, "deno");
    try {
      await Deno.link(Deno.execPath(), deno);
    } catch {
      await Deno.copyFile(Deno.execPath(), deno);
    }
    const path = await pathWithoutDeno(join(tmp, "path"));
    const root = join(tmp, "root");
    const r = await run(deno, ["task", "--quiet", "install", "--root", root], {
      PATH: path,
      HOME: Deno.env.get("HOME") ?? tmp,
    }, ROOT);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`note: the launchers run ${deno},`), r.stderr);
    assert.match(r.stderr, /npx's package cache/);
    assert.ok(
      r.stderr.includes(`npm install -g deno@${Deno.version.deno}`),
      r.stderr,
    );
    assert.match(r.stderr, /^ {2}deno task install$/m);
    const text = await Deno.readTextFile(join(root, "bin", "nitroctl"));
    assert.equal(execWords(text)[0], deno);

    // When npm has cleaned its cache: a message, not "deno: not found".
    await Deno.remove(deno);
    const gone = await run(join(root, "bin", "nitroctl"), ["list"], {
      PATH: path,
    });
    assert.equal(gone.code, 127);
    assert.ok(
      gone.stderr.endsWith(
        `, the Deno it was installed with; install again: ` +
          `cd ${shellQuote(ROOT)} && deno task install ` +
          `--root ${shellQuote(root)}\n`,
      ),
      gone.stderr,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno.json's nitroctl task has exactly the table's flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words = (config.tasks.nitroctl as string).split(" ");
  assert.deepEqual(words.slice(0, 2), ["deno", "run"]);
  assert.equal(words.at(-1), "cli/nitroctl.ts");
  assert.deepEqual(
    words.filter(tableFlag).sort(),
    [...PERMISSIONS.nitroctl].sort(),
  );
});
