/**
 * `deno task install` and `deno task compile`: put nitro and nitroctl on a
 * machine, with exactly the permissions of {@link PERMISSIONS}.
 *
 * ```sh
 * deno task install            # nitro, nitroctl in ${DENO_INSTALL_ROOT:-~/.deno}/bin
 * deno task install --system   # also halt, poweroff, reboot, init
 * deno task install --root /mnt/initrd --deno /bin/deno --src /nitro
 * deno task compile            # self-contained binaries in dist/
 * ```
 *
 * `install` writes one `#!/bin/sh` launcher per program that `exec`s the
 * Deno that ran the install by its absolute path (`Deno.execPath()`), on
 * this checkout's `cli/*.ts`. It needs no `deno` on PATH, no `$0`, no
 * `/usr/bin/env` and no `/proc`, so the `nitro` launcher also works as pid 1
 * (`init=`, `rdinit=`): after the exec, Deno itself is pid 1. `halt`,
 * `poweroff`, `reboot` and `init` (only with `--system`) are nitroctl with
 * `--as=NAME` baked in: under `deno run` argv[0] is `deno`, so the name
 * cannot come from argv[0] (see src/ctl/invocation.ts).
 *
 * For an image built elsewhere (an initramfs, a container), `--root`,
 * `--deno` and `--src` say where the launchers go, and where Deno and the
 * checkout are as seen from inside that image.
 *
 * Both also write, under the root (`dist/` for `compile`), the man pages
 * made from docs/*.md (`share/man/man8/nitro.8`, `share/man/man1/
 * nitroctl.1`) and nitroctl's completions where bash, zsh and fish look
 * (`share/bash-completion/completions/nitroctl`,
 * `share/zsh/site-functions/_nitroctl`,
 * `share/fish/vendor_completions.d/nitroctl.fish`).
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

import {
  dirname,
  isAbsolute,
  join,
  normalize,
  relative,
  resolve,
} from "node:path";
import { parseArgs } from "node:util";
import { SHELLS } from "../src/ctl/commands.ts";
import { COMPLETION_PATHS, completionScript } from "../src/ctl/completion.ts";
import { MAN_PAGES, manPath, markdownToRoff } from "./manpage.ts";
import { type EntryPoint, PERMISSIONS, RUN_ENV } from "./permissions.ts";

/** This checkout, without a trailing slash. */
const ROOT = normalize(new URL("../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The nitroctl personalities installed only with `--system`. */
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

/** What every install installs: the daemon and the control tool. */
export const BASE_TARGETS: readonly Target[] = [
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
];

/** What `--system` adds: nitroctl as the sysvinit tools of a machine. */
export const SYSTEM_TARGETS: readonly Target[] = SYSV_NAMES.map((
  name,
): Target => ({
  name,
  permissions: "nitroctl",
  script: "cli/nitroctl.ts",
  args: [`--as=${name}`],
}));

/** The targets of one install. */
export function installTargets(system: boolean): Target[] {
  return system ? [...BASE_TARGETS, ...SYSTEM_TARGETS] : [...BASE_TARGETS];
}

/**
 * Flags every launcher passes besides the permissions: no download or
 * check chatter, and never an interactive permission prompt (which would
 * hang a pid 1 on a console).
 */
export const RUN_FLAGS = ["--quiet", "--no-prompt"] as const;

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

/** What one `install` does. */
export interface InstallOptions {
  /** Launchers go to `root/bin`. */
  root: string;
  /** Absolute path of the Deno the launchers exec. */
  deno: string;
  /** Absolute path of the checkout the launchers run. */
  src: string;
  /** Also install halt, poweroff, reboot and init. */
  system: boolean;
}

/** Usage of `ci/build.ts`. */
export const USAGE = [
  "usage: deno task install [--system] [--root DIR] [--deno PATH] [--src DIR]",
  "       deno task compile",
  "",
  "  --system     also install halt, poweroff, reboot and init (nitroctl under",
  "               those names) for a machine that nitro boots",
  "  --root DIR   put the launchers in DIR/bin, man pages in DIR/share/man,",
  "               completions in DIR/share/{bash-completion,zsh,fish}",
  "               (default $DENO_INSTALL_ROOT, else ~/.deno)",
  "  --deno PATH  absolute path of the Deno the launchers run",
  "               (default: the Deno running this install)",
  "  --src DIR    absolute path of this checkout as the launchers see it",
  "               (default: where it is now)",
].join("\n");

/**
 * Parse `install`'s arguments; `defaults` supplies what is not given, and
 * `defaults.cwd` is where a relative `--root` is taken from.
 * Returns the options, a message saying what is wrong, or a request for
 * help.
 */
export function parseInstallArgs(
  args: string[],
  defaults: { root: () => string; deno: string; src: string; cwd: string },
): InstallOptions | { error: string } | { help: true } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        system: { type: "boolean", default: false },
        root: { type: "string" },
        deno: { type: "string" },
        src: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.help) return { help: true };
  for (const key of ["deno", "src"] as const) {
    const value = values[key];
    if (value !== undefined && !isAbsolute(value)) {
      return { error: `--${key} must be an absolute path, not ${value}` };
    }
  }
  if (values.root === "") return { error: "--root must not be empty" };
  try {
    return {
      root: resolve(defaults.cwd, values.root ?? defaults.root()),
      deno: values.deno ?? defaults.deno,
      src: normalize(values.src ?? defaults.src).replace(/(.)\/$/, "$1"),
      system: values.system ?? false,
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Shell-quote one word (single quotes unless plainly safe). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** First comment line of every launcher: marks the file as ours. */
export const LAUNCHER_MARK = "written by `deno task install` of nitro";

/**
 * The text of one launcher: a POSIX shell script that execs `deno` by its
 * absolute path with the target's permissions. Pure.
 */
export function launcher(
  t: Target,
  opts: { deno: string; src: string; root?: string },
): string {
  const command = [
    opts.deno,
    "run",
    ...RUN_FLAGS,
    ...PERMISSIONS[t.permissions],
    join(opts.src, t.script),
    ...t.args,
  ].map(shellQuote).join(" ");
  const deno = shellQuote(opts.deno);
  // Inside the double quotes of an echo: nothing the shell would expand.
  const quoted = (text: string) => text.replace(/["$`\\]/g, "\\$&");
  const again = `cd ${shellQuote(opts.src)} && deno task install` +
    (opts.root === undefined ? "" : ` --root ${shellQuote(opts.root)}`);
  return [
    "#!/bin/sh",
    `# ${t.name}: ${LAUNCHER_MARK} (ci/build.ts).`,
    "# Deno by absolute path: needs no deno on PATH and no /proc (works as pid 1).",
    `if [ ! -x ${deno} ]; then`,
    `  echo "${t.name}: cannot run ${
      quoted(opts.deno)
    }, the Deno it was installed with; install again: ${quoted(again)}" >&2`,
    "  exit 127",
    "fi",
    "# No update check by Deno (see RUN_ENV in ci/permissions.ts).",
    ...Object.entries(RUN_ENV).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `exec ${command} "$@"`,
    "",
  ].join("\n");
}

/**
 * Why the Deno at `path` may vanish (npx's cache, another cache, a
 * temporary directory), or null when it looks lasting. Pure.
 */
export function throwAwayDeno(
  path: string,
  env: { HOME?: string; XDG_CACHE_HOME?: string; TMPDIR?: string },
): string | null {
  const segments = normalize(path).split("/");
  if (segments.includes("_npx")) return "npx's package cache";
  const under = (dir: string | undefined) => {
    if (!dir || !isAbsolute(dir)) return false;
    const rel = relative(dir, path);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  };
  if (
    under(env.XDG_CACHE_HOME) ||
    (env.HOME && (under(join(env.HOME, ".cache")) ||
      under(join(env.HOME, ".npm")))) ||
    segments.some((s) => s === ".cache" || s === "_cacache")
  ) {
    return "a cache directory";
  }
  if (under("/tmp") || under(env.TMPDIR)) return "a temporary directory";
  return null;
}

/** The `deno compile` arguments for one entry point. */
export function compileArgs(out: string, t: Target): string[] {
  return [
    "compile",
    "--quiet",
    ...PERMISSIONS[t.permissions],
    "-o",
    out,
    join(ROOT, t.script),
  ];
}

/**
 * The files besides the programs, by path under an install root: the man
 * pages, made from the markdown in docs/ (the one source), and the shell
 * completions, made from nitroctl's command table.
 */
export async function sharedFiles(
  src = ROOT,
): Promise<Map<string, string>> {
  const { version } = JSON.parse(
    await Deno.readTextFile(join(src, "deno.json")),
  );
  const files = new Map<string, string>();
  for (const page of MAN_PAGES) {
    const markdown = await Deno.readTextFile(join(src, page.source));
    files.set(manPath(page), markdownToRoff(markdown, version));
  }
  for (const shell of SHELLS) {
    files.set(COMPLETION_PATHS[shell], completionScript(shell));
  }
  return files;
}

/** Write {@link sharedFiles} under `root`; the paths written. */
async function writeShared(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const [path, text] of await sharedFiles()) {
    const target = join(root, path);
    await Deno.mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${Deno.pid}`;
    await Deno.writeTextFile(tmp, text, { mode: 0o644 });
    await Deno.rename(tmp, target);
    written.push(target);
  }
  return written;
}

/** Run deno; its output is shown (it is a long build). */
async function deno(args: string[]): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return out.code;
}

/** Write `text` to `path` as an executable, replacing it atomically. */
async function writeExecutable(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o755 });
  await Deno.chmod(tmp, 0o755); // The umask may have taken bits away.
  await Deno.rename(tmp, path);
}

/**
 * Whether `path` is a launcher of ours (or of the older `deno install`
 * based installer) for the sysvinit name `name`, and may be removed.
 */
async function isOurSysvLauncher(path: string, name: string) {
  try {
    const text = await Deno.readTextFile(path);
    return text.length < 4096 && text.includes("cli/nitroctl.ts") &&
      text.includes(`--as=${name}`);
  } catch {
    return false;
  }
}

async function install(args: string[]): Promise<number> {
  const parsed = parseInstallArgs(args, {
    root: () => installRoot(),
    deno: Deno.execPath(),
    src: ROOT,
    // `deno task` runs in the checkout; INIT_CWD is where the user was.
    cwd: Deno.env.get("INIT_CWD") ?? Deno.cwd(),
  });
  if ("help" in parsed) {
    console.log(USAGE);
    return 0;
  }
  if ("error" in parsed) {
    console.error(`build: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const bin = join(parsed.root, "bin");
  await Deno.mkdir(bin, { recursive: true });
  const targets = installTargets(parsed.system);
  for (const t of targets) {
    try {
      await writeExecutable(join(bin, t.name), launcher(t, parsed));
    } catch (err) {
      console.error(
        `build: cannot write ${join(bin, t.name)}: ${(err as Error).message}`,
      );
      return 1;
    }
  }
  try {
    await writeShared(parsed.root);
  } catch (err) {
    console.error(
      `build: cannot write under ${parsed.root}: ${(err as Error).message}`,
    );
    return 1;
  }
  // An earlier install may have put these on PATH without being asked.
  const removed: string[] = [];
  if (!parsed.system) {
    for (const name of SYSV_NAMES) {
      const path = join(bin, name);
      if (await isOurSysvLauncher(path, name)) {
        await Deno.remove(path);
        removed.push(name);
      }
    }
  }

  const names = targets.map((t) => t.name).join(", ");
  console.log(`installed ${names} in ${bin}`);
  console.log(
    `they run ${parsed.src} with ${parsed.deno}: keep both where they are.`,
  );
  if (removed.length > 0) {
    console.log(`removed ${removed.join(", ")} of an earlier install.`);
  }
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(bin)) {
    console.log(`add it to PATH:  export PATH="${bin}:$PATH"`);
  }
  const share = join(parsed.root, "share");
  console.log(
    `man pages in ${share}/man: man finds them while ${bin} is on PATH ` +
      `(else MANPATH=${share}/man:)`,
  );
  console.log(
    `completions in ${share}: bash finds them while ${bin} is on PATH; ` +
      `zsh: fpath=(${share}/zsh/site-functions $fpath); fish: ` +
      `set -p fish_complete_path ${share}/fish/vendor_completions.d`,
  );
  if (parsed.system) {
    console.log(
      `note: ${SYSV_NAMES.join(", ")} shut down or reboot through nitro; ` +
        `put ${bin} first in PATH only on machines nitro boots.`,
    );
  } else {
    console.log(
      `for a machine that nitro boots, ${SYSV_NAMES.join(", ")} too: ` +
        `deno task install --system`,
    );
  }
  const why = throwAwayDeno(parsed.deno, {
    HOME: Deno.env.get("HOME"),
    XDG_CACHE_HOME: Deno.env.get("XDG_CACHE_HOME"),
    TMPDIR: Deno.env.get("TMPDIR"),
  });
  if (why !== null) {
    console.error(
      [
        "",
        `note: the launchers run ${parsed.deno},`,
        `which lives in ${why}: it may be deleted at any time, and then`,
        "nitro and nitroctl stop working. For a lasting Deno, and launchers that use it:",
        `  npm install -g deno@${Deno.version.deno}`,
        "  deno task install" + (parsed.system ? " --system" : ""),
      ].join("\n"),
    );
  }
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
  for (const t of BASE_TARGETS) {
    const out = join(dist, t.name);
    const code = await deno(compileArgs(out, t));
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
  await writeShared(dist);
  console.log(
    `compiled ${join(dist, "nitro")} and ${join(dist, "nitroctl")}; ` +
      `${SYSV_NAMES.join(", ")} link to nitroctl; man pages and ` +
      `completions in ${join(dist, "share")}`,
  );
  return 0;
}

if (import.meta.main) {
  const [what, ...rest] = Deno.args;
  if (what === "install") Deno.exit(await install(rest));
  if (what === "compile" && rest.length === 0) Deno.exit(await compile());
  console.error(USAGE);
  Deno.exit(2);
}
