/**
 * `deno task install` into a temporary DENO_INSTALL_ROOT: every launcher is
 * there, carries exactly the permission flags of ci/permissions.ts (and the
 * baked `--as=NAME` of the sysvinit names), and runs: with no nitro behind
 * the socket, nitroctl and its personalities report it unreachable (111).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { PERMISSIONS } from "../ci/permissions.ts";
import {
  compileArgs,
  INSTALL_TARGETS,
  installArgs,
  installRoot,
  SYSV_NAMES,
} from "../ci/build.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const dec = new TextDecoder();

/** PATH with this very deno first: the launchers run `deno` from PATH. */
function pathWithDeno(): string {
  return [dirname(Deno.execPath()), Deno.env.get("PATH") ?? ""].join(":");
}

/** Whether a command-line word is one of the table's flags. */
function tableFlag(word: string): boolean {
  return word.startsWith("--allow") || word.startsWith("--v8-flags");
}

/** Permission flags of a launcher's `exec deno run ...` line. */
function launcherFlags(text: string): { flags: string[]; tail: string[] } {
  const exec = text.split("\n").find((l) => l.startsWith("exec deno run "));
  assert.ok(exec, `no exec line in:\n${text}`);
  const words = exec.split(" ");
  const script = words.findIndex((w) => w.startsWith("'file://"));
  assert.ok(script > 0, exec);
  return {
    flags: words.slice(3, script).filter((w) =>
      w.startsWith("--allow") || w.startsWith("--deny") || w === "-A" ||
      w.startsWith("--v8-flags")
    ),
    tail: words.slice(script),
  };
}

Deno.test("build: install and compile command lines use the table's flags", () => {
  for (const t of INSTALL_TARGETS) {
    const args = installArgs("/r", t);
    for (const flag of PERMISSIONS[t.permissions]) {
      assert.ok(args.includes(flag), `${t.name} lacks ${flag}`);
    }
    assert.equal(
      args.filter(tableFlag).length,
      PERMISSIONS[t.permissions].length,
    );
    assert.deepEqual(args.slice(args.indexOf("-n"), args.indexOf("-n") + 2), [
      "-n",
      t.name,
    ]);
  }
  const nitro = INSTALL_TARGETS.find((t) => t.name === "nitro")!;
  assert.equal(nitro.permissions, "nitro-init");
  const c = compileArgs("/out/nitro", nitro);
  assert.deepEqual(
    c.filter(tableFlag),
    [...PERMISSIONS["nitro-init"]],
  );
  assert.deepEqual(c.slice(c.indexOf("-o"), c.indexOf("-o") + 2), [
    "-o",
    "/out/nitro",
  ]);
  assert.equal(installRoot({ DENO_INSTALL_ROOT: "/x" }), "/x");
  assert.equal(installRoot({ HOME: "/home/u" }), "/home/u/.deno");
});

Deno.test("deno task install: launchers with exactly the table's flags", async () => {
  const root = await Deno.makeTempDir({ prefix: "nitro-install-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "install"],
      cwd: ROOT,
      env: { DENO_INSTALL_ROOT: root, PATH: pathWithDeno() },
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, dec.decode(out.stderr) + dec.decode(out.stdout));
    assert.match(dec.decode(out.stdout), /installed nitro, nitroctl/);

    const bin = join(root, "bin");
    const expected = {
      nitro: { perms: PERMISSIONS["nitro-init"], script: "cli/nitro.ts" },
      nitroctl: { perms: PERMISSIONS.nitroctl, script: "cli/nitroctl.ts" },
      ...Object.fromEntries(SYSV_NAMES.map((n) => [n, {
        perms: PERMISSIONS.nitroctl,
        script: "cli/nitroctl.ts",
      }])),
    };
    for (const [name, want] of Object.entries(expected)) {
      const path = join(bin, name);
      const st = await Deno.stat(path);
      assert.ok(st.isFile && (st.mode! & 0o111) !== 0, `${name} executable`);
      const { flags, tail } = launcherFlags(await Deno.readTextFile(path));
      assert.deepEqual(
        [...flags].sort(),
        [...want.perms].sort(),
        `${name} flags`,
      );
      assert.equal(tail[0], `'file://${join(ROOT, want.script)}'`);
      const baked = (SYSV_NAMES as readonly string[]).includes(name)
        ? [`--as=${name}`]
        : [];
      assert.deepEqual(tail.slice(1), [...baked, '"$@"'], `${name} args`);
    }

    // Nothing behind the socket: unreachable, exit 111, one line.
    const sock = join(root, "missing", "nitro.sock");
    for (
      const [name, args] of [
        ["nitroctl", ["list"]],
        ["nitroctl", ["pidof", "web"]],
        ["halt", []],
        ["reboot", []],
        ["poweroff", []],
        ["init", ["q"]],
      ] as const
    ) {
      const r = await new Deno.Command(join(bin, name), {
        args: [...args],
        env: { NITRO_SOCK: sock, PATH: pathWithDeno() },
        clearEnv: true,
        stdin: "null",
      }).output();
      const stderr = dec.decode(r.stderr);
      assert.equal(r.code, 111, `${name}: ${stderr}`);
      assert.match(stderr, /cannot reach nitro/, name);
      assert.ok(stderr.includes(sock), `${name} names the socket`);
      assert.equal(stderr.trim().split("\n").length, 1, `${name}: one line`);
    }

    // The nitro launcher starts the daemon (which refuses a missing dir).
    const n = await new Deno.Command(join(bin, "nitro"), {
      args: [join(root, "no-such-dir")],
      env: { NITRO_SOCK: sock, PATH: pathWithDeno() },
      clearEnv: true,
      stdin: "null",
    }).output();
    assert.equal(n.code, 111, dec.decode(n.stderr));
    assert.match(dec.decode(n.stderr), /no such directory/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno.json's nitroctl task has exactly the table's flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words = (config.tasks.nitroctl as string).split(" ");
  assert.deepEqual(words.slice(0, 2), ["deno", "run"]);
  assert.equal(words.at(-1), "cli/nitroctl.ts");
  assert.deepEqual(
    words.filter((w) => w.startsWith("--allow")).sort(),
    [...PERMISSIONS.nitroctl].sort(),
  );
});
