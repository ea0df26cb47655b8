/**
 * The Deno permissions of each entry point, declared once.
 *
 * `deno task install`, `deno task compile` and the tests all build their
 * command lines from this table, so what a test exercises is exactly what a
 * user installs.
 *
 * @module
 */

/**
 * V8 without its optimising compilers: the daemon's JavaScript is small and
 * mostly idle, and this saves it a sixth of its resident memory.
 */
const LITE = "--v8-flags=--lite-mode";

/** The daemon's flags, both flavours. */
const DAEMON = [
  LITE,
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net",
] as const;

/** Permission (and runtime) flags per entry point. */
export const PERMISSIONS = {
  /**
   * The daemon: reads service directories, creates its socket and FIFOs,
   * runs service scripts, reads its environment. Deno counts Unix sockets
   * as network access, and the socket path is only known at run time, so
   * `--allow-net` is unscoped. No FFI.
   */
  nitro: DAEMON,
  /**
   * The daemon as pid 1: the above plus FFI, for libc's reboot, mount,
   * waitid and friends. Only this flavour may load the FFI module.
   * `--allow-ffi` is scoped to libc's absolute paths (a soname does not
   * work scoped in Deno 2.9.6); must equal `LIBC_PATHS` in
   * `src/init/libc_paths.ts` (tests/init_libc_test.ts checks).
   */
  "nitro-init": [
    ...DAEMON,
    "--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6,/lib/aarch64-linux-gnu/libc.so.6,/lib64/libc.so.6,/usr/lib/libc.so.6,/lib/libc.so.7",
  ],
  /**
   * The control tool: talks to a Unix socket (network access, for Deno) and
   * resolves service paths. It cannot run processes or load libraries.
   */
  nitroctl: ["--allow-read", "--allow-write", "--allow-env", "--allow-net"],
} as const;

/** Names of the entry points in {@link PERMISSIONS}. */
export type EntryPoint = keyof typeof PERMISSIONS;
