/**
 * Gather a container image's build context: a root file system for an image
 * `FROM scratch`, with nitro as its init and an example service directory.
 *
 * ```sh
 * deno run --allow-all ci/container/rootfs.ts offline /tmp/nitro-image
 * podman build -t nitro-example /tmp/nitro-image
 *
 * deno task compile   # dist/nitro, dist/nitroctl (downloads denort)
 * deno run --allow-all ci/container/rootfs.ts compiled /tmp/nitro-image
 * podman build -t nitro-example /tmp/nitro-image
 * ```
 *
 * Both flavours put into `DIR/rootfs/`: busybox (a shell and the tools the
 * services use, one link per applet), the shared libraries that `ldd` lists
 * for every program copied in, `/etc/nitro` from `ci/container/services`,
 * `/srv/www` for the example web server, and empty `/proc`, `/sys`, `/dev`,
 * `/run`, `/tmp`. Then:
 *
 * - `offline`: this Deno at `/bin/deno`, this checkout's `cli/`, `src/` and `deno.json` at
 *   `/nitro`, and the launchers of `deno task install` at `/bin/nitro` and
 *   `/bin/nitroctl`. Needs no download: it works where `deno compile` cannot
 *   fetch its runtime.
 * - `compiled`: `dist/nitro` and `dist/nitroctl` as `DIR/nitro` and
 *   `DIR/nitroctl`, which the Containerfile copies to `/bin`.
 *
 * The matching Containerfile (`ci/container/Containerfile.offline` or
 * `ci/container/Containerfile`) is copied to `DIR/Containerfile`. DIR must
 * not exist yet, or be empty.
 *
 * Exits 0 when done, 1 when something could not be gathered (the message
 * says what), 2 on a usage error.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { SYSV_NAMES } from "../build.ts";

/** This checkout, without a trailing slash. */
const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** This directory: Containerfiles, services, web root. */
const HERE = join(ROOT, "ci/container");

/** The two kinds of image. */
export const FLAVOURS = ["offline", "compiled"] as const;

/** Which kind of image a context is for. */
export type Flavour = typeof FLAVOURS[number];

/** The Containerfile of each flavour, relative to `ci/container`. */
export const CONTAINERFILES: Record<Flavour, string> = {
  offline: "Containerfile.offline",
  compiled: "Containerfile",
};

/** Where things are inside the image (both flavours). */
export const IMAGE = {
  /** nitro: the launcher, or the compiled binary. */
  nitro: "/bin/nitro",
  /** nitroctl: the launcher, or the compiled binary. */
  nitroctl: "/bin/nitroctl",
  /** The service directory. */
  services: "/etc/nitro",
  /** Deno, for the launchers (offline flavour). */
  deno: "/bin/deno",
  /** This checkout's sources, for the launchers (offline flavour). */
  src: "/nitro",
} as const;

/** What of the checkout the launchers run. */
const SOURCES = ["cli", "src", "deno.json"];

/** Something needed for the context could not be had; says what. */
export class ContextError extends Error {
  /** `message` says what is missing or failed. */
  constructor(message: string) {
    super(message);
    this.name = "ContextError";
  }
}

/**
 * The absolute paths of the shared libraries in `ldd` output, including
 * the program interpreter; the vDSO has none. Pure.
 */
export function parseLdd(text: string): string[] {
  const paths = new Set<string>();
  for (const line of text.split("\n")) {
    const m = line.match(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/);
    if (m) paths.add(m[1]);
  }
  return [...paths];
}

async function run(cmd: string, args: string[], cwd?: string) {
  let out;
  try {
    out = await new Deno.Command(cmd, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new ContextError(`cannot run ${cmd}: ${(err as Error).message}`);
  }
  const dec = new TextDecoder();
  return {
    code: out.code,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

async function must(cmd: string, args: string[], cwd?: string) {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) {
    throw new ContextError(
      `${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${r.text.trim()}`,
    );
  }
  return r.text;
}

/** Copy `from` (following symlinks) to `tree` + `to`, making parents. */
async function put(tree: string, from: string, to = from, mode?: number) {
  const dest = join(tree, to);
  await Deno.mkdir(dirname(dest), { recursive: true });
  try {
    await Deno.copyFile(from, dest);
  } catch (err) {
    throw new ContextError(`cannot copy ${from}: ${(err as Error).message}`);
  }
  if (mode !== undefined) await Deno.chmod(dest, mode);
}

/** The shared libraries `program` loads; none for a static one. */
async function librariesOf(program: string): Promise<string[]> {
  const r = await run("ldd", [program]);
  // A static program: ldd says "not a dynamic executable" and exits 1.
  if (r.code !== 0 && /not a dynamic executable/.test(r.text)) return [];
  if (r.code !== 0) {
    throw new ContextError(`ldd ${program} failed:\n${r.text.trim()}`);
  }
  return parseLdd(r.text);
}

/** Where to take the programs from. */
export interface ContextOptions {
  /** The busybox to copy (static or not). Default `$BUSYBOX` or /bin/busybox. */
  busybox?: string;
  /** The Deno for the offline flavour. Default: the one running this. */
  deno?: string;
  /** Where `deno task compile` put nitro and nitroctl. Default `dist/`. */
  dist?: string;
}

/** What {@link buildContext} gathered. */
export interface Context {
  /** The directory to give `podman build` / `docker build`. */
  dir: string;
  /** The programs whose libraries were copied, as found on this machine. */
  programs: string[];
}

/**
 * Fill `dir` (created; must be absent or empty) with the build context of
 * `flavour`: `dir/Containerfile`, `dir/rootfs/` and, compiled, the two
 * binaries. Throws {@link ContextError} when an input is missing.
 */
export async function buildContext(
  flavour: Flavour,
  dir: string,
  opts: ContextOptions = {},
): Promise<Context> {
  await Deno.mkdir(dir, { recursive: true });
  for await (const _ of Deno.readDir(dir)) {
    throw new ContextError(`${dir} is not empty`);
  }
  const tree = join(dir, "rootfs");
  for (
    const d of ["bin", "etc", "proc", "sys", "dev", "run", "tmp", "srv", "root"]
  ) {
    await Deno.mkdir(join(tree, d), { recursive: true });
  }
  await Deno.chmod(join(tree, "tmp"), 0o1777);

  const busybox = opts.busybox ?? Deno.env.get("BUSYBOX") ?? "/bin/busybox";
  try {
    await Deno.stat(busybox);
  } catch {
    throw new ContextError(
      `no busybox at ${busybox} (Debian: apt-get install busybox-static; ` +
        "or set BUSYBOX to one)",
    );
  }
  await put(tree, busybox, "/bin/busybox", 0o755);
  const applets = await must(busybox, ["--list-full"]).catch((err) => {
    throw new ContextError(
      `${busybox} does not list its applets (apt-get install busybox-static): ` +
        err.message,
    );
  });
  // The sysvinit names would signal pid 1 busybox's way: leave them out.
  const skip = new Set<string>([...SYSV_NAMES, "nitro", "nitroctl", "busybox"]);
  for (const applet of applets.split("\n")) {
    const name = applet.slice(applet.lastIndexOf("/") + 1);
    if (!applet || skip.has(name)) continue;
    const link = join(tree, applet);
    await Deno.mkdir(dirname(link), { recursive: true });
    await Deno.symlink("/bin/busybox", link).catch(() => {}); // listed twice
  }

  const programs = [busybox];
  if (flavour === "offline") {
    const deno = opts.deno ?? Deno.execPath();
    await put(tree, deno, IMAGE.deno, 0o755);
    programs.push(deno);
    await Deno.mkdir(join(tree, IMAGE.src), { recursive: true });
    await must("cp", ["-a", ...SOURCES, join(tree, IMAGE.src)], ROOT);
    // The launchers, by the project's own installer: /bin/nitro, /bin/nitroctl.
    await must(Deno.execPath(), [
      "task",
      "--quiet",
      "install",
      "--root",
      tree,
      "--deno",
      IMAGE.deno,
      "--src",
      IMAGE.src,
    ], ROOT);
  } else {
    const dist = opts.dist ?? join(ROOT, "dist");
    for (const name of ["nitro", "nitroctl"]) {
      const binary = join(dist, name);
      try {
        if (!(await Deno.stat(binary)).isFile) throw new Error("not a file");
      } catch (err) {
        throw new ContextError(
          `${binary}: ${(err as Error).message} (run deno task compile first)`,
        );
      }
      await put(dir, binary, name, 0o755);
      programs.push(binary);
    }
  }
  for (const program of programs) {
    for (const lib of await librariesOf(program)) await put(tree, lib);
  }

  await must("cp", ["-a", join(HERE, "services/."), join(tree, "etc/nitro")]);
  await must("cp", ["-a", join(HERE, "www"), join(tree, "srv/www")]);
  await put(dir, join(HERE, CONTAINERFILES[flavour]), "Containerfile");
  return { dir, programs };
}

/** Usage of this script. */
export const USAGE =
  "usage: deno run --allow-all ci/container/rootfs.ts offline|compiled DIR";

if (import.meta.main) {
  const [flavour, dir, ...rest] = Deno.args;
  if (
    !(FLAVOURS as readonly string[]).includes(flavour) || !dir ||
    rest.length > 0
  ) {
    console.error(USAGE);
    Deno.exit(2);
  }
  try {
    const ctx = await buildContext(flavour as Flavour, dir);
    console.log(`rootfs: build context in ${ctx.dir}; next:`);
    console.log(`  podman build -t nitro-example ${ctx.dir}`);
  } catch (err) {
    if (!(err instanceof ContextError)) throw err;
    console.error(`rootfs: ${err.message}`);
    Deno.exit(1);
  }
}
