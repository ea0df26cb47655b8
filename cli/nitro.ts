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

import { enterPid1, isPid1 } from "../src/init/pid1.ts";

const pid1 = isPid1() ? await enterPid1() : null;
const { main } = await import("../src/daemon/main.ts");
Deno.exit(await main(Deno.args, pid1));
