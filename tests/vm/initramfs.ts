/**
 * Build the vmtest's initramfs: busybox (static), this Deno and the shared
 * libraries it loads, this checkout's sources at `/nitro`, the launchers
 * that `deno task install --system` writes for that image, and the guest
 * fixtures of `tests/vm/guest` (`/etc/nitro`, `/etc/nitro.single`,
 * `/vmtest`).
 *
 * The image holds `/dev/console` (the kernel opens it for pid 1's stdio)
 * but no `/dev/null`, so that nitro, finding none, mounts devtmpfs on
 * `/dev` as nitro(8) says (docs/nitro.8.md, PID 1).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { InputError, run } from "./inputs.ts";
import { SYSV_NAMES } from "../../ci/build.ts";
import { REPO_ROOT } from "../helpers/common.ts";

const SYSV = new Set<string>(SYSV_NAMES);

/** The repository root. */
export const ROOT: string = REPO_ROOT.replace(/\/$/, "");

/** Where things are inside the guest. */
export const GUEST = {
  /** Deno, as the launchers exec it. */
  deno: "/bin/deno",
  /** This checkout. */
  src: "/nitro",
  /**
   * `--root` of the install: launchers in `/usr/bin`, on the PATH that
   * busybox's sh (the launchers' `#!/bin/sh`) sets and exports when the
   * kernel gave none, which nitro then passes on to services.
   */
  installRoot: "/usr",
  /** The nitro launcher, given to the kernel as `rdinit=`. */
  nitro: "/usr/bin/nitro",
} as const;

/** What of the checkout the guest needs to run nitro and nitroctl. */
const SOURCES = ["cli", "src", "mod.ts", "deno.json", "deno.lock"];

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

async function must(cmd: string, args: string[], cwd?: string) {
  const r = await run(cmd, args, { cwd });
  if (r.code !== 0) {
    throw new InputError(
      `${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${r.out}`,
    );
  }
  return r.out;
}

/** Copy `from` (following symlinks) to `tree` + `to`, making parents. */
async function put(tree: string, from: string, to = from): Promise<void> {
  const dest = join(tree, to);
  await Deno.mkdir(dirname(dest), { recursive: true });
  await Deno.copyFile(from, dest);
}

/**
 * Fill `tree` with the guest's files and write it as a newc cpio archive
 * (uncompressed: QEMU loads it faster than the kernel would inflate it)
 * to `out`.
 */
export async function buildInitramfs(tree: string, out: string): Promise<void> {
  for (
    const d of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/sbin",
      "etc",
      "proc",
      "sys",
      "dev",
      "run",
      "tmp",
      "root",
    ]
  ) {
    await Deno.mkdir(join(tree, d), { recursive: true });
  }
  await Deno.chmod(join(tree, "tmp"), 0o1777);

  // busybox-static, with a link for each applet where busybox says.
  const busybox = "/bin/busybox";
  await put(tree, busybox);
  await Deno.chmod(join(tree, busybox), 0o755);
  for (const applet of (await must(busybox, ["--list-full"])).split("\n")) {
    const name = applet.slice(applet.lastIndexOf("/") + 1);
    // halt, poweroff, reboot and init are nitro's here (install --system).
    if (!applet || name === "busybox" || SYSV.has(name)) continue;
    const link = join(tree, applet);
    await Deno.mkdir(dirname(link), { recursive: true });
    await Deno.symlink("/bin/busybox", link).catch(() => {});
  }

  // Deno and its libraries, at the paths the dynamic linker looks in.
  const deno = Deno.execPath();
  await put(tree, deno, GUEST.deno);
  await Deno.chmod(join(tree, GUEST.deno), 0o755);
  for (const lib of parseLdd(await must("ldd", [deno]))) await put(tree, lib);

  // The checkout, as the launchers will find it.
  await Deno.mkdir(join(tree, GUEST.src), { recursive: true });
  const present: string[] = [];
  for (const s of SOURCES) {
    try {
      await Deno.lstat(join(ROOT, s));
      present.push(s);
    } catch {
      // deno.lock may not exist.
    }
  }
  await must("cp", ["-a", ...present, join(tree, GUEST.src)], ROOT);

  // The launchers, by the project's own installer.
  await must(Deno.execPath(), [
    "task",
    "--quiet",
    "install",
    "--system",
    "--root",
    join(tree, GUEST.installRoot),
    "--deno",
    GUEST.deno,
    "--src",
    GUEST.src,
  ], ROOT);

  // Guest fixtures: service directories and the scripts they share.
  await must("cp", ["-a", "tests/vm/guest/.", tree], ROOT);

  // The console for pid 1's stdio (kernel opens it before running init).
  await must("mknod", ["-m", "600", join(tree, "dev/console"), "c", "5", "1"]);

  await warmDenoCache(tree);

  await must("sh", [
    "-c",
    'find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > "$0"',
    out,
  ], tree);
}

/**
 * Run the launchers once in a chroot of `tree`, so that Deno's cache in
 * the image (`/.cache/deno`: the kernel gives init `HOME=/`) already holds
 * the transpiled modules and the guest, emulated, starts faster. /proc is
 * mounted in a private mount namespace (gone with it); /dev/null exists
 * only meanwhile (Deno needs it; nitro must not find it at boot). Failure
 * only costs time, so it is reported, not fatal.
 */
export async function warmDenoCache(tree: string): Promise<void> {
  const devnull = join(tree, "dev/null");
  await must("mknod", ["-m", "666", devnull, "c", "1", "3"]);
  try {
    const runs = [
      [join(GUEST.installRoot, "bin/nitroctl"), "--help"],
      [GUEST.nitro, "--vmtest-warm-up"], // a usage error, after loading
    ];
    for (const argv of runs) {
      const r = await run("unshare", [
        "--mount",
        "--fork",
        "sh",
        "-c",
        'mount -t proc proc "$0/proc" && exec chroot "$0" env -i HOME=/ "$@"',
        tree,
        ...argv,
      ]);
      if (r.code !== 0 && r.code !== 2) {
        console.error(`vmtest: warming Deno's cache with ${argv[0]}: ${r.out}`);
      }
    }
  } finally {
    await Deno.remove(devnull);
  }
}
