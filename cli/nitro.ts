/**
 * Entry point of the `nitro` daemon: `nitro [DIR]`.
 *
 * As pid 1, the pid-1 duties (mounting /proc, /dev, /run, loading libc)
 * come first, and the daemon is loaded only afterwards: Deno cannot load
 * `node:` modules before /proc is mounted. Outside pid 1 the FFI module is
 * never loaded, so nitro runs without `--allow-ffi`.
 *
 * @module
 */

// Loaded only as pid 1: the pid-1 module is a fifth of the daemon's code.
const pid1 = Deno.pid === 1
  ? await (await import("../src/init/pid1.ts")).enterPid1()
  : null;
const { main } = await import("../src/daemon/main.ts");
Deno.exit(await main(Deno.args, pid1));
