/**
 * Where libc may live, shared by the FFI module and the permission table.
 *
 * Why absolute paths: in Deno 2.9.6 `--allow-ffi=PATH` is matched textually
 * against the (cwd-resolved, not symlink-resolved) path given to
 * `Deno.dlopen`. A bare soname is resolved against the cwd too, so
 * `--allow-ffi=libc.so.6` makes `dlopen("libc.so.6")` try `$PWD/libc.so.6`
 * and fail; a soname only loads under an unscoped `--allow-ffi`. So the
 * narrowest working grant lists the absolute paths below, and
 * `src/init/libc.ts` opens the first one that exists. The `"nitro-init"`
 * entry of `ci/permissions.ts` must name exactly these (a test checks it).
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
