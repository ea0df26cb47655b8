/**
 * Where libc may live, for the FFI module (`src/init/libc.ts` opens the
 * first one that exists).
 *
 * Why absolute paths: in Deno 2.9.6 `--allow-ffi=PATH` is matched
 * textually against the (cwd-resolved) path given to `Deno.dlopen`, so
 * only absolute paths can be granted one by one; a bare soname loads only
 * under an unscoped grant. nitro as pid 1 runs with `--allow-all` (FFI is
 * full access anyway: the `"nitro-init"` entry of `ci/permissions.ts`),
 * and `tests/init/libc_test.ts` checks that one of these exists.
 *
 * No FFI here: this module is safe to import anywhere.
 *
 * @example
 * ```ts
 * import { LIBC_PATHS } from "./libc_paths.ts";
 * const flag = `--allow-ffi=${LIBC_PATHS.join(",")}`;
 * ```
 *
 * @module
 */

/**
 * Candidate libc paths, most likely first: Debian/Ubuntu multiarch (x86_64,
 * aarch64), Fedora/openSUSE (`/lib64`), Arch (`/usr/lib`), FreeBSD.
 */
export const LIBC_PATHS: readonly string[] = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib/libc.so.6",
  "/lib/libc.so.7",
];
