/**
 * The few libc calls pid 1 needs, bound with `Deno.dlopen`.
 *
 * Load this module only dynamically and only as pid 1 —
 * `await import("./libc.ts")` from `src/init/pid1.ts` — never statically:
 * evaluating it opens libc and refuses to do so unless `Deno.pid === 1`.
 * The dangerous wrappers (`reboot`, `mount`, `kill(-1, …)`) check again on
 * every call, and remounting `/` additionally requires the initial PID
 * namespace (see {@link inInitPidNamespace}), because a remount of `/`
 * changes the file system's superblock, which a mount namespace shares with
 * the host.
 *
 * Errors: wrappers throw {@link ErrnoError} (with `errno` and `code`), except
 * `kill`, whose errno is an expected answer (`ESRCH` = nobody left) and is
 * returned instead.
 *
 * /proc is read with Deno's own file API (pid1.ts): the pid-1 flavour runs
 * with `--allow-all`, which Deno demands for /proc. Only what Deno lacks
 * goes through libc.
 *
 * Linux (glibc) is what this is written and tested for. On FreeBSD the
 * library (`libc.so.7`), errno and the reboot constants are right, pid 1 is
 * always the machine's, but `mount`, `statDev` and `peekExited`
 * are refused (so no orphan reaping there yet). Untested.
 *
 * @example Power off (only ever as the real pid 1)
 * ```ts ignore
 * const libc = await import("./libc.ts");
 * libc.sync();
 * libc.reboot(libc.RB_POWER_OFF);
 * ```
 *
 * @module
 */

import { message } from "../errors.ts";

import { LIBC_PATHS } from "./libc_paths.ts";

if (Deno.pid !== 1) {
  throw new Error("src/init/libc.ts may only be loaded by pid 1");
}

const LINUX = Deno.build.os === "linux";

/** `reboot(2)` commands (Linux values; FreeBSD's `howto` bits there). */
export const RB_AUTOBOOT = LINUX ? 0x01234567 : 0;
/** Power off the machine. */
export const RB_POWER_OFF = LINUX ? 0x4321fedc : 0x4000;
/** Ctrl-Alt-Del sends SIGINT to pid 1 instead of rebooting (Linux only). */
export const RB_DISABLE_CAD = 0;

/** `mount(2)` flags (Linux). */
export const MS_RDONLY = 1;
/** Ignore set-user-id bits. */
export const MS_NOSUID = 2;
/** Ignore device files. */
export const MS_NODEV = 4;
/** Do not execute programs. */
export const MS_NOEXEC = 8;
/** Change the flags of an existing mount. */
export const MS_REMOUNT = 32;

/** `waitpid(2)` option: return at once if nothing has exited. */
export const WNOHANG = 1;

/** Signal numbers used by pid 1 (they differ between Linux and FreeBSD). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
  SIGCONT: LINUX ? 18 : 19,
} as const;

/** errno values this code looks at (the same on Linux and FreeBSD). */
export const ESRCH = 3, ECHILD = 10;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  10: "ECHILD",
  13: "EACCES",
  16: "EBUSY",
  20: "ENOTDIR",
  22: "EINVAL",
  30: "EROFS",
};

/** A failed libc call: `errno` and its symbolic name (`code`). */
export class ErrnoError extends Error {
  /** Symbolic name, e.g. `"EINVAL"` (or `"E<number>"`). */
  readonly code: string;
  /** Make one for the failed `call` (named in the message) and `errno`. */
  constructor(call: string, readonly errno: number) {
    const code = ERRNO_NAMES[errno] ?? `E${errno}`;
    super(`${call}: ${code} (errno ${errno})`);
    this.name = "ErrnoError";
    this.code = code;
  }
}

const lib = openLibc();

function openLibc() {
  const errors: string[] = [];
  for (const path of LIBC_PATHS) {
    try {
      return Deno.dlopen(path, {
        reboot: { parameters: ["i32"], result: "i32" },
        mount: {
          parameters: ["buffer", "buffer", "buffer", "u64", "buffer"],
          result: "i32",
        },
        sync: { parameters: [], result: "void" },
        kill: { parameters: ["i32", "i32"], result: "i32" },
        // Variadic in C; its third argument is an int here, as the ABI has it.
        fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
        waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
        execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
        getpid: { parameters: [], result: "i32" },
        // Handlers as integers: SIG_DFL 0, SIG_IGN 1 (no pointer helpers).
        signal: { parameters: ["i32", "usize"], result: "usize" },
        waitid: { parameters: ["i32", "u32", "buffer", "i32"], result: "i32" },
        // glibc >= 2.33 exports stat; older glibc only __xstat.
        stat: {
          parameters: ["buffer", "buffer"],
          result: "i32",
          optional: true,
        },
        __xstat: {
          parameters: ["i32", "buffer", "buffer"],
          result: "i32",
          optional: true,
        },
        __errno_location: { parameters: [], result: "pointer", optional: true },
        __error: { parameters: [], result: "pointer", optional: true },
        // Under a path-scoped --allow-ffi, Deno 2.9.6 refuses every
        // Deno.UnsafePointer / UnsafePointerView helper ("Requires ffi
        // access"), while calls into the library are fine. So memory is
        // read with memcpy, and a buffer's address is memcpy's return value.
        memcpy: { parameters: ["buffer", "pointer", "usize"], result: "void" },
        addressOf: {
          name: "memcpy",
          parameters: ["buffer", "buffer", "usize"],
          result: "usize",
        },
      });
    } catch (e) {
      errors.push(`${path}: ${message(e)}`);
    }
  }
  throw new Error(`cannot load libc:\n  ${errors.join("\n  ")}`);
}

const encoder = new TextEncoder();

/**
 * A NUL-terminated copy of `s` for a `const char *` parameter, in its own
 * (off-heap, so non-moving) ArrayBuffer.
 */
function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  const buf = new Uint8Array(new ArrayBuffer(bytes.length + 1));
  buf.set(bytes);
  return buf;
}

/** Copy `into.byteLength` bytes from the C pointer `from` into `into`. */
function peek<T extends ArrayBufferView<ArrayBuffer>>(
  from: Deno.PointerObject,
  into: T,
): T {
  lib.symbols.memcpy(into, from, BigInt(into.byteLength));
  return into;
}

/** The calling thread's errno (Deno runs FFI calls on the JS thread). */
export function errno(): number {
  const where = lib.symbols.__errno_location ?? lib.symbols.__error;
  const p = where?.();
  return p ? peek(p, new Int32Array(1))[0] : 0;
}

function fail(call: string): never {
  throw new ErrnoError(call, errno());
}

function requirePid1(call: string): void {
  if (Deno.pid !== 1 || lib.symbols.getpid() !== 1) {
    throw new Error(`${call}: refused, not pid 1`);
  }
}

/** The process id, straight from the kernel. */
export function getpid(): number {
  return lib.symbols.getpid();
}

/** Flush file system buffers. */
export function sync(): void {
  lib.symbols.sync();
}

/**
 * `reboot(2)`. In a child PID namespace, `RB_POWER_OFF` kills the
 * namespace's init with SIGINT and `RB_AUTOBOOT` with SIGHUP; other commands
 * fail with EINVAL there. Pid 1 only.
 */
export function reboot(cmd: number): void {
  requirePid1("reboot");
  if (lib.symbols.reboot(cmd | 0) !== 0) fail("reboot");
}

/**
 * True in the initial PID namespace (a machine's real init), false in a
 * container: `reboot(RB_DISABLE_CAD)` succeeds only there (a child PID
 * namespace answers EINVAL, a container without CAP_SYS_BOOT EPERM). As a
 * side effect, on a machine Ctrl-Alt-Del now sends SIGINT to pid 1.
 */
export function inInitPidNamespace(): boolean {
  requirePid1("reboot");
  // FreeBSD: jails have no pid 1, and there reboot(0) means "reboot now".
  if (!LINUX) return true;
  return lib.symbols.reboot(RB_DISABLE_CAD) === 0;
}

/**
 * `mount(2)` (Linux). Pid 1 only; remounting `/` only in the initial PID
 * namespace, since that reaches the shared superblock.
 *
 * @example
 * ```ts ignore
 * mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
 * ```
 */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): void {
  requirePid1("mount");
  if (!LINUX) throw new Error("mount: only implemented for Linux");
  const isRoot = target.split("/").every((part) => part === "" || part === ".");
  if ((flags & MS_REMOUNT) && isRoot && !inInitPidNamespace()) {
    throw new Error("mount: refusing to remount / outside the initial PID ns");
  }
  const r = lib.symbols.mount(
    source === null ? null : cstr(source),
    cstr(target),
    fstype === null ? null : cstr(fstype),
    BigInt(flags),
    data === null ? null : cstr(data),
  );
  if (r !== 0) fail(`mount ${target}`);
}

/**
 * `kill(2)`: 0 on success, else the errno (ESRCH: no such process).
 * `pid` -1 (every process but pid 1) is allowed only for pid 1.
 */
export function kill(pid: number, sig: number): number {
  if (pid === -1) requirePid1("kill(-1)");
  return lib.symbols.kill(pid, sig) === 0 ? 0 : errno();
}

/**
 * Mark `fd` close-on-exec (`fcntl(F_SETFD, FD_CLOEXEC)`): no child
 * inherits it any more.
 */
export function closeOnExec(fd: number): void {
  const F_SETFD = 2, FD_CLOEXEC = 1;
  if (lib.symbols.fcntl(fd, F_SETFD, FD_CLOEXEC) !== 0) fail(`fcntl ${fd}`);
}

/**
 * `waitpid(2)`: the pid collected (0 with WNOHANG when it has not exited)
 * and its raw wait status. Throws ECHILD for a pid that is not our child.
 */
export function waitpid(
  pid: number,
  options = 0,
): { pid: number; status: number } {
  const status = new Int32Array(1);
  const r = lib.symbols.waitpid(pid, status, options);
  if (r < 0) fail(`waitpid ${pid}`);
  return { pid: r, status: status[0] };
}

/**
 * Set the action of `sig` to the default (SIG_DFL); returns the previous
 * action, to be given back to {@link restoreSignal}. Deno ignores SIGPIPE,
 * and an ignored signal stays ignored across `execve`.
 */
export function defaultSignal(sig: number): bigint {
  return BigInt(lib.symbols.signal(sig, 0n));
}

/** Put back an action returned by {@link defaultSignal}. */
export function restoreSignal(sig: number, action: bigint): void {
  lib.symbols.signal(sig, action);
}

/**
 * The pid of some child that has exited, without reaping it (`waitid`
 * with WNOWAIT), or 0 if none has. Linux only.
 */
export function peekExited(): number {
  if (!LINUX) throw new Error("peekExited: only implemented for Linux");
  const P_ALL = 0, WEXITED = 4, WNOWAIT = 0x01000000;
  const info = new Int32Array(32); // siginfo_t: 128 bytes, zeroed
  // Failing with WNOHANG means no children (ECHILD); errno, read in a
  // second FFI call, is not trusted to tell more.
  if (lib.symbols.waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    return 0;
  }
  return info[4]; // si_pid, at byte 16 of siginfo_t on 64-bit Linux
}

/**
 * `execve(2)`: replace this process. Returns only by throwing.
 *
 * @example
 * ```ts ignore
 * execve("/bin/sh", ["sh", "-c", "exec init"], ["PATH=/bin"]);
 * ```
 */
export function execve(path: string, argv: string[], envp: string[]): never {
  const keep: Uint8Array[] = []; // keep the strings alive during the call
  const table = (strings: string[]) => {
    const ptrs = new BigUint64Array(strings.length + 1); // NULL-terminated
    strings.forEach((s, i) => {
      const b = cstr(s);
      keep.push(b);
      ptrs[i] = BigInt(lib.symbols.addressOf(b, b, 0n));
    });
    return ptrs;
  };
  lib.symbols.execve(cstr(path), table(argv), table(envp));
  fail(`execve ${path}`);
}

/**
 * The device number of `path` (`st_dev`, the first field of `struct stat`
 * on 64-bit Linux). Comparing it with the parent's tells a mount point
 * without /proc. Throws ErrnoError (ENOENT when missing).
 */
export function statDev(path: string): bigint {
  if (!LINUX) throw new Error("statDev: only implemented for Linux");
  const buf = new BigUint64Array(32); // struct stat is 128 or 144 bytes
  const { stat, __xstat } = lib.symbols;
  const xstatVer = Deno.build.arch === "x86_64" ? 1 : 0; // _STAT_VER
  const r = stat
    ? stat(cstr(path), buf)
    : __xstat
    ? __xstat(xstatVer, cstr(path), buf)
    : -2;
  if (r === -2) throw new Error("statDev: libc has neither stat nor __xstat");
  if (r !== 0) fail(`stat ${path}`);
  return buf[0];
}
