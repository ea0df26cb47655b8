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

/**
 * No deno.json: nothing in it is needed to run, and none found near the
 * working directory (a service directory, a user's home) may change how an
 * entry point runs. Reading one also costs the daemon about 1 MB.
 */
const NO_CONFIG = "--no-config";

/**
 * No V8 code cache for the daemon: it starts once and then idles, and the
 * mapped cache costs it about 1.5 MB of resident memory.
 */
const NO_CODE_CACHE = "--no-code-cache";

/** The daemon's flags, both flavours. */
const DAEMON = [
  LITE,
  NO_CONFIG,
  NO_CODE_CACHE,
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net",
  // Its own uid: who may own the directories on the way to its runtime files.
  "--allow-sys=uid",
  // Unix datagram sockets, for the notify directory (Deno 2.9 keeps them
  // behind this flag).
  "--unstable-net",
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
   * The daemon as pid 1: everything. It needs FFI for libc's reboot,
   * mount, waitid and friends, and FFI is full access whatever else is
   * withheld; Deno 2.9.6 also reads /proc (the last sweep at shutdown)
   * only under `--allow-all`. Only this flavour may load the FFI module,
   * which opens libc from `LIBC_PATHS` of `src/init/libc_paths.ts`.
   */
  "nitro-init": [LITE, NO_CONFIG, NO_CODE_CACHE, "--allow-all"],
  /**
   * The control tool: talks to a Unix socket (network access, for Deno) and
   * resolves service paths. It cannot run processes or load libraries.
   * `--unstable-net` gives it datagram sockets, for C nitro's control socket
   * and its replies (Deno 2.9 keeps them behind that flag).
   * Its own uid it needs to tell whether the socket is another user's.
   */
  nitroctl: [
    NO_CONFIG,
    "--unstable-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--allow-sys=uid",
  ],
} as const;

/**
 * Environment every entry point runs with, on top of its caller's.
 *
 * `deno run` otherwise asks dl.deno.land at each start whether a newer Deno
 * exists: a DNS query and an HTTPS client inside a supervisor that may run
 * as root, as pid 1, before any network is up. The client also stays
 * resident: about 1 MB of the daemon's memory for its whole life. Compiled
 * binaries never check, so this only matters to launchers and tests.
 */
export const RUN_ENV = { DENO_NO_UPDATE_CHECK: "1" } as const;

/** Names of the entry points in {@link PERMISSIONS}. */
export type EntryPoint = keyof typeof PERMISSIONS;
