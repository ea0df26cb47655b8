/**
 * The C nitro, built once per process from the source directory that
 * `$NITRO_C_DIR` names (CI sets it to the reference copy beside the
 * repository). The source may be read-only, so it is built in a temporary
 * copy. Where the variable is unset, or no C compiler can build it, callers
 * skip and say why: {@link cNitro} resolves to a reason instead of paths.
 *
 * @module
 */

/** The environment variable that names the C nitro's source directory. */
export const C_NITRO_ENV = "NITRO_C_DIR";

/** A built C nitro: absolute paths of its two binaries. */
export interface CNitro {
  nitro: string;
  nitroctl: string;
  /** The temporary directory it was built in (removed at exit). */
  dir: string;
}

/** Why no C nitro is available here, for a test's skip message. */
export interface NoCNitro {
  reason: string;
}

let built: Promise<CNitro | NoCNitro> | undefined;

/**
 * Build the C nitro (once; later calls share the result).
 *
 * @example Skip a test where there is none
 * ```ts ignore
 * const c = await cNitro();
 * if ("reason" in c) { console.log(`skipped: ${c.reason}`); return; }
 * ```
 */
export function cNitro(): Promise<CNitro | NoCNitro> {
  return built ??= build();
}

/** Whether {@link cNitro} found one: a type guard for callers. */
export function isBuilt(c: CNitro | NoCNitro): c is CNitro {
  return !("reason" in c);
}

async function build(): Promise<CNitro | NoCNitro> {
  const src = Deno.env.get(C_NITRO_ENV);
  if (!src) {
    return {
      reason: `$${C_NITRO_ENV} is not set (point it at C nitro's source)`,
    };
  }
  try {
    if (!Deno.statSync(`${src}/nitro.c`).isFile) throw new Error("not a file");
  } catch {
    return { reason: `$${C_NITRO_ENV}=${src} holds no nitro.c` };
  }
  const dir = await Deno.makeTempDir({ prefix: "c-nitro-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Gone already.
    }
  });
  const copy = await new Deno.Command("cp", {
    args: ["-R", `${src}/.`, dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!copy.success) {
    return { reason: `cannot copy ${src}: ${decode(copy.stderr)}` };
  }
  let make: Deno.CommandOutput;
  try {
    make = await new Deno.Command("make", {
      args: ["-C", dir, "nitro", "nitroctl"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    return { reason: `cannot run make: ${(err as Error).message}` };
  }
  if (!make.success) {
    return { reason: `make failed: ${decode(make.stderr).slice(-500)}` };
  }
  return { nitro: `${dir}/nitro`, nitroctl: `${dir}/nitroctl`, dir };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim();
}
