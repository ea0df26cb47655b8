/**
 * The vmtest's inputs, from Debian packages: QEMU, a static busybox and
 * cpio installed on this machine (`apt-get install`, on demand), and a
 * kernel unpacked from `linux-image-amd64`'s versioned dependency with
 * `dpkg-deb -x` into the cache directory, never installed.
 *
 * @module
 */

import { join } from "node:path";

/** Debian packages the vmtest runs on this machine. */
export const HOST_PACKAGES = ["qemu-system-x86", "busybox-static", "cpio"];

/** The meta package whose dependency names the current kernel. */
const KERNEL_META = "linux-image-amd64";

/** Inputs could not be had: the message says which and why. */
export class InputError extends Error {
  /** An input is missing; `message` says which and what failed. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Where downloads are cached: `$NITRO_VMTEST_CACHE`, else
 * `$XDG_CACHE_HOME/nitro-vmtest`, else `$HOME/.cache/nitro-vmtest`. Pure.
 */
export function cacheDir(env: {
  NITRO_VMTEST_CACHE?: string;
  XDG_CACHE_HOME?: string;
  HOME?: string;
}): string {
  if (env.NITRO_VMTEST_CACHE) return env.NITRO_VMTEST_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "nitro-vmtest");
  if (env.HOME) return join(env.HOME, ".cache", "nitro-vmtest");
  throw new InputError(
    "no cache directory: set NITRO_VMTEST_CACHE, XDG_CACHE_HOME or HOME",
  );
}

/**
 * The versioned kernel package named by the meta package's `Depends`
 * field, e.g. `linux-image-6.1.0-56-amd64 (= 6.1.192-2)`. Null when no
 * alternative names a `linux-image-*` package. Pure.
 */
export function kernelDependency(
  depends: string,
): { name: string; version: string | null } | null {
  for (const part of depends.split(/[,|]/)) {
    const m = part.trim().match(
      /^(linux-image-[\w.+-]+)\s*(?:\(=\s*([^)\s]+)\s*\))?/,
    );
    if (m && m[1] !== KERNEL_META) return { name: m[1], version: m[2] ?? null };
  }
  return null;
}

/** Run a command; resolve with its exit code and output (text). */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; quiet?: boolean } = {},
): Promise<{ code: number; out: string }> {
  let output;
  try {
    output = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    return { code: 127, out: `${cmd}: ${(err as Error).message}` };
  }
  const dec = new TextDecoder();
  const out = dec.decode(output.stdout) + dec.decode(output.stderr);
  return { code: output.code, out };
}

/** Runs `apt-get update` at most once per process. */
let updated = false;

/** Options that wait for a dpkg/apt lock another apt-get holds. */
const APT_LOCK = ["-o", "DPkg::Lock::Timeout=600"];

async function aptUpdate(): Promise<void> {
  if (updated) return;
  console.log("vmtest: apt-get update");
  const r = await run("apt-get", [...APT_LOCK, "-q", "update"]);
  if (r.code !== 0) {
    throw new InputError(`apt-get update failed (exit ${r.code}):\n${r.out}`);
  }
  updated = true;
}

/** Whether dpkg says `pkg` is installed. */
async function installed(pkg: string): Promise<boolean> {
  const r = await run("dpkg-query", ["-W", "-f=${Status}", pkg]);
  return r.code === 0 && r.out.startsWith("install ok installed");
}

/** Install whichever of {@link HOST_PACKAGES} is missing. */
export async function ensureHostPackages(): Promise<void> {
  const missing: string[] = [];
  for (const pkg of HOST_PACKAGES) {
    if (!(await installed(pkg))) missing.push(pkg);
  }
  if (missing.length === 0) return;
  await aptUpdate();
  console.log(`vmtest: apt-get install ${missing.join(" ")}`);
  const r = await run("apt-get", [
    ...APT_LOCK,
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    ...missing,
  ]);
  if (r.code !== 0) {
    throw new InputError(
      `apt-get install ${missing.join(" ")} failed (exit ${r.code}):\n${r.out}`,
    );
  }
}

/** Download one package into `dir`; update the lists once if needed. */
async function download(pkg: string, dir: string): Promise<void> {
  let r = await run("apt-get", ["download", pkg], { cwd: dir });
  if (r.code !== 0 && !updated) {
    await aptUpdate();
    r = await run("apt-get", ["download", pkg], { cwd: dir });
  }
  if (r.code !== 0) {
    throw new InputError(`apt-get download ${pkg} failed:\n${r.out}`);
  }
}

/** The one file in `dir` whose name matches `re`, newest first. */
async function find(dir: string, re: RegExp): Promise<string | null> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (re.test(e.name)) names.push(e.name);
    }
  } catch {
    return null;
  }
  names.sort().reverse();
  return names.length > 0 ? join(dir, names[0]) : null;
}

/**
 * The kernel image in the cache, fetched and unpacked when missing:
 * `cache/vmlinuz-VERSION`. Delete the cache directory to fetch a newer one.
 */
export async function ensureKernel(cache: string): Promise<string> {
  await Deno.mkdir(cache, { recursive: true });
  const cached = await find(cache, /^vmlinuz-/);
  if (cached) return cached;

  // A directory _apt can read, so that apt-get download needs no fallback.
  const work = await Deno.makeTempDir({ dir: cache, prefix: "fetch-" });
  try {
    await Deno.chmod(work, 0o755);
    await download(KERNEL_META, work);
    const meta = await find(work, /^linux-image-amd64_.*\.deb$/);
    if (!meta) throw new InputError(`apt-get download ${KERNEL_META}: no .deb`);
    const fields = await run("dpkg-deb", ["-f", meta, "Depends"]);
    const dep = fields.code === 0 ? kernelDependency(fields.out) : null;
    if (!dep) {
      throw new InputError(
        `${KERNEL_META} names no linux-image package: ${fields.out.trim()}`,
      );
    }
    await download(dep.version ? `${dep.name}=${dep.version}` : dep.name, work);
    const deb = await find(
      work,
      new RegExp(`^${dep.name.replace(/[.+]/g, "\\$&")}_.*\\.deb$`),
    );
    if (!deb) throw new InputError(`apt-get download ${dep.name}: no .deb`);
    console.log(
      `vmtest: unpacking ${deb.slice(work.length + 1)} (dpkg-deb -x)`,
    );
    const tree = join(work, "tree");
    const x = await run("dpkg-deb", ["-x", deb, tree]);
    if (x.code !== 0) {
      throw new InputError(`dpkg-deb -x ${deb} failed:\n${x.out}`);
    }
    const image = await find(join(tree, "boot"), /^vmlinuz-/);
    if (!image) throw new InputError(`${deb} holds no boot/vmlinuz-*`);
    const dest = join(cache, image.slice(image.lastIndexOf("/") + 1));
    await Deno.rename(image, dest);
    return dest;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
