/**
 * `deno task install` and `deno task compile`: put nitro and nitroctl on a
 * machine, with exactly the permissions of {@link PERMISSIONS}.
 *
 * ```sh
 * deno task install   # launchers in ${DENO_INSTALL_ROOT:-~/.deno}/bin
 * deno task compile   # self-contained binaries in dist/
 * ```
 *
 * `install` writes shell launchers (`deno install --global`) that run this
 * checkout's `cli/*.ts`: `nitro` (the pid-1 capable flavour), `nitroctl`,
 * and `halt`, `poweroff`, `reboot`, `init`, which are nitroctl with
 * `--as=NAME` baked in (under `deno run` argv[0] is `deno`, so the name
 * cannot come from argv[0]; see src/ctl/invocation.ts).
 *
 * `compile` writes `dist/nitro` and `dist/nitroctl` with `deno compile`, and
 * `dist/halt`, `dist/poweroff`, `dist/reboot`, `dist/init` as symlinks to
 * `nitroctl` (a compiled binary does see its argv[0]). `deno compile` needs
 * the `denort` runtime of the same Deno version: it downloads it, or uses the
 * file named by the `DENORT_BIN` environment variable (Deno 2.9.6 reads that
 * variable itself; there is no command-line flag for it).
 *
 * @module
 */

import { join } from "node:path";
import { type EntryPoint, PERMISSIONS } from "./permissions.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The nitroctl personalities that get a launcher of their own. */
export const SYSV_NAMES = ["halt", "poweroff", "reboot", "init"] as const;

/** One program to install or compile. */
export interface Target {
  /** Name of the launcher or binary. */
  name: string;
  /** Whose permissions it gets. */
  permissions: EntryPoint;
  /** Entry point, relative to the repository root. */
  script: string;
  /** Arguments baked into the launcher. */
  args: string[];
}

/** Everything `install` installs. */
export const INSTALL_TARGETS: Target[] = [
  {
    name: "nitro",
    permissions: "nitro-init",
    script: "cli/nitro.ts",
    args: [],
  },
  {
    name: "nitroctl",
    permissions: "nitroctl",
    script: "cli/nitroctl.ts",
    args: [],
  },
  ...SYSV_NAMES.map((name): Target => ({
    name,
    permissions: "nitroctl",
    script: "cli/nitroctl.ts",
    args: [`--as=${name}`],
  })),
];

/** Where `install` puts launchers: `$DENO_INSTALL_ROOT` or `~/.deno`. */
export function installRoot(
  env: { DENO_INSTALL_ROOT?: string; HOME?: string } = {
    DENO_INSTALL_ROOT: Deno.env.get("DENO_INSTALL_ROOT"),
    HOME: Deno.env.get("HOME"),
  },
): string {
  if (env.DENO_INSTALL_ROOT) return env.DENO_INSTALL_ROOT;
  if (!env.HOME) throw new Error("neither DENO_INSTALL_ROOT nor HOME is set");
  return join(env.HOME, ".deno");
}

/** The `deno install` arguments for one target. */
export function installArgs(root: string, t: Target): string[] {
  return [
    "install",
    "--global",
    "--force",
    "--root",
    root,
    "--config",
    join(ROOT, "deno.json"),
    "-n",
    t.name,
    ...PERMISSIONS[t.permissions],
    join(ROOT, t.script),
    // `--` so that deno takes `--as=halt` as a script argument to bake in.
    ...(t.args.length > 0 ? ["--", ...t.args] : []),
  ];
}

/** The `deno compile` arguments for one entry point. */
export function compileArgs(out: string, t: Target): string[] {
  return [
    "compile",
    "--quiet",
    "--config",
    join(ROOT, "deno.json"),
    ...PERMISSIONS[t.permissions],
    "-o",
    out,
    join(ROOT, t.script),
  ];
}

/** Run deno; its output is shown only when it fails, unless `verbose`. */
async function deno(args: string[], verbose = false): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: verbose ? "inherit" : "piped",
    stderr: verbose ? "inherit" : "piped",
  }).output();
  if (!verbose && out.code !== 0) {
    await Deno.stderr.write(out.stdout);
    await Deno.stderr.write(out.stderr);
  }
  return out.code;
}

async function install(): Promise<number> {
  const root = installRoot();
  const bin = join(root, "bin");
  for (const t of INSTALL_TARGETS) {
    const code = await deno(installArgs(root, t));
    if (code !== 0) {
      console.error(`build: deno install of ${t.name} failed (exit ${code})`);
      return code;
    }
  }
  const names = INSTALL_TARGETS.map((t) => t.name).join(", ");
  console.log(`installed ${names} in ${bin}`);
  console.log(`they run this checkout (${ROOT}): keep it where it is.`);
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(bin)) {
    console.log(`add it to PATH:  export PATH="${bin}:$PATH"`);
  }
  console.log(
    `note: ${SYSV_NAMES.join(", ")} talk to nitro; ` +
      `put ${bin} first in PATH only on machines nitro boots.`,
  );
  return 0;
}

async function compile(): Promise<number> {
  const dist = join(ROOT, "dist");
  await Deno.mkdir(dist, { recursive: true });
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      if (!(await Deno.stat(denort)).isFile) throw new Error("not a file");
    } catch (err) {
      console.error(
        `build: DENORT_BIN=${denort} is not a usable denort binary ` +
          `(${err instanceof Error ? err.message : err})`,
      );
      return 1;
    }
  }
  for (const t of INSTALL_TARGETS.slice(0, 2)) {
    const out = join(dist, t.name);
    const code = await deno(compileArgs(out, t), true);
    if (code !== 0) {
      console.error(
        [
          `build: deno compile of ${t.name} failed (exit ${code}).`,
          `deno compile needs denort, the runtime of this very Deno ` +
          `(${Deno.version.deno}, ${Deno.build.target}).`,
          denort
            ? `DENORT_BIN=${denort} was used: is it denort ${Deno.version.deno} for ${Deno.build.target}?`
            : `Without DENORT_BIN it downloads denort-${Deno.build.target}.zip ` +
              `from dl.deno.land; where that is unreachable, unzip it from ` +
              `a machine that can reach it and run:\n` +
              `  DENORT_BIN=/path/to/denort deno task compile`,
        ].join("\n"),
      );
      return code;
    }
  }
  for (const name of SYSV_NAMES) {
    const link = join(dist, name);
    await Deno.remove(link).catch(() => {});
    await Deno.symlink("nitroctl", link);
  }
  console.log(
    `compiled ${join(dist, "nitro")} and ${join(dist, "nitroctl")}; ` +
      `${SYSV_NAMES.join(", ")} link to nitroctl`,
  );
  return 0;
}

if (import.meta.main) {
  const [what, ...rest] = Deno.args;
  if (rest.length > 0 || (what !== "install" && what !== "compile")) {
    console.error("usage: deno run -A ci/build.ts install|compile");
    Deno.exit(2);
  }
  Deno.exit(what === "install" ? await install() : await compile());
}
