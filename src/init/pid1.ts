/**
 * What nitro does differently as pid 1: mount `/dev` and
 * `/run` if missing, tell a machine from a container, reap orphans, kill
 * every remaining process at shutdown, power off or reboot, or hand over to
 * `SYS/reincarnate`.
 *
 * This module is safe to import statically: it loads the FFI module
 * (`./libc.ts`) only inside {@link enterPid1}, which refuses unless
 * `Deno.pid === 1`. {@link isPid1} needs no FFI. (For nitro's own stdio see
 * `./stdio.ts`.)
 *
 * Boot order matters: Deno 2.9.6 panics ("no /proc/self/exe available. Is
 * /proc mounted?", ext/os/lib.rs) as soon as anything loads a `node:`
 * module while /proc is not mounted — the Node compatibility layer wants
 * `process.execPath`. Plain Deno APIs and FFI work without /proc. So this
 * module and `./libc.ts` import no `node:` module, {@link enterPid1} mounts
 * /proc, and the pid-1 entry point must call it *before* loading the rest
 * of nitro, with a dynamic import:
 *
 * ```ts ignore
 * import { enterPid1, isPid1 } from "../src/init/pid1.ts"; // no node: inside
 * const pid1 = isPid1() ? await enterPid1() : null; // mounts /proc first
 * const { main } = await import("../src/daemon/main.ts"); // node: is fine now
 * ```
 *
 * Child processes: the daemon spawns services with `Deno.Command`, and
 * Deno's runtime reaps those itself (by pid) to deliver `child.status`. pid 1
 * must reap everything else, but never one of those: a stolen child's
 * `status` rejects with ECHILD ("No child processes", tested). Deno does not
 * reap orphans itself; they stay zombies until {@link Pid1.reapOrphans}.
 * Hence the `isOurs(pid)` predicate: it must return true for every pid from
 * `Deno.Command(...).spawn()` whose `status` has not settled yet. Record the
 * pid in the same synchronous turn as `spawn()`; a SIGCHLD listener cannot
 * run in between.
 *
 * SIGCHLD in Deno 2.9.6: `Deno.addSignalListener("SIGCHLD", …)` works next
 * to `Deno.Command` (both are told; child statuses still arrive), including
 * for orphans re-parented to pid 1. Signals coalesce: one callback may stand
 * for many exits, so each callback reaps all it can find. A signal listener
 * does not keep the event loop alive.
 *
 * Permissions: Deno 2.9.6 wants `--allow-all` for any path under /proc,
 * /sys and most of /dev, and FFI is full access anyway: the `"nitro-init"`
 * permissions are `--allow-all`, and /proc is read with Deno's file API.
 *
 * @example The daemon as pid 1
 * ```ts ignore
 * import { enterPid1, isPid1 } from "./pid1.ts";
 * const running = new Set<number>(); // pids of live Deno.Command children
 * const isOurs = (pid: number) => running.has(pid);
 * if (isPid1()) {
 *   const pid1 = await enterPid1();
 *   pid1.watchOrphans(isOurs); // reap on every SIGCHLD, no polling
 *   // ... supervise; at the end, with all services down:
 *   await pid1.killAll(isOurs);
 *   if (!pid1.container) await pid1.finish("shutdown");
 * }
 * ```
 *
 * @module
 */

import { message } from "../errors.ts";
import {
  ALL_GONE,
  powerLine,
  remountLine,
  SENDING_SIGKILL,
  SENDING_SIGTERM,
} from "./console_lines.ts";

/** The FFI module, loaded on demand. */
type Libc = typeof import("./libc.ts");

/** Whether `pid` is a child the daemon spawned with `Deno.Command`. */
export type IsOurs = (pid: number) => boolean;

/**
 * Where {@link Pid1.killAll} and {@link Pid1.finish} say what they do: the
 * daemon's console writer, which never blocks on a stopped console.
 */
export interface LastWords {
  /** Queue one line. */
  say(text: string): void;
  /** Queue text as it is (part of a line). */
  write(text: string): void;
  /** Resolve once written, or once the writer gives up. */
  flush(): Promise<unknown>;
}

/** {@link LastWords} by plain synchronous writes, for callers without one. */
const stderrNow: LastWords = {
  say: (text) => console.error(text),
  write: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  flush: () => Promise.resolve(true),
};

/** How long `killAll` waits after SIGKILL before giving up (D state). */
export const KILL_WAIT_MS = 2000;

/**
 * Extra checks after a SIGCHLD: our own zombies vanish when Deno's runtime
 * reaps them, shortly after the signal, and that raises no event. Bounded:
 * at most this many checks per SIGCHLD. Used while orphans wait behind a
 * zombie of ours, and by `killAll` to see that everyone has gone.
 */
const RECHECK_MS = [5, 25, 100, 400];

/** `PF_KTHREAD` in the flags of /proc/PID/stat: a kernel thread. */
const PF_KTHREAD = 0x00200000;

/** One process as /proc/PID/stat shows it. */
interface ProcEntry {
  pid: number;
  state: string;
  flags: number;
}

/** Whether this process is pid 1 (of the machine or of a PID namespace). */
export function isPid1(): boolean {
  return Deno.pid === 1;
}

/** pid 1's duties, from {@link enterPid1}. */
export interface Pid1 {
  /**
   * True in a container (or any child PID namespace), false as a machine's
   * init: `reboot(RB_DISABLE_CAD)` failed. On a machine that call also made
   * Ctrl-Alt-Del send SIGINT to nitro (an orderly reboot).
   */
  readonly container: boolean;
  /** What {@link enterPid1} mounted, in order, e.g. `["/run"]`. */
  readonly mounted: readonly string[];
  /** Mounts that were needed but failed, as messages to log. */
  readonly warnings: readonly string[];

  /**
   * Reap exited children that `isOurs` rejects; returns how many. Peeks
   * with `waitid(WNOWAIT)`, oldest first, and stops at the first zombie
   * that is ours: Deno's runtime collects that one, and the rest wait for
   * the next call. Needs no /proc. Linux only for now (0 elsewhere).
   */
  reapOrphans(isOurs: IsOurs): number;

  /**
   * Call {@link reapOrphans} now and on every SIGCHLD, and again a few
   * times shortly after when it stopped at a zombie of ours (see
   * {@link RECHECK_MS}); `onReap` gets the count when it is not 0. Returns
   * a function that stops it.
   */
  watchOrphans(isOurs: IsOurs, onReap?: (n: number) => void): () => void;

  /**
   * Shutdown's last sweep: SIGTERM and SIGCONT to every other
   * process, wait until none is left or `graceMs` passed, then SIGKILL and
   * wait at most {@link KILL_WAIT_MS} more (a process in D state may never
   * go). Driven by SIGCHLD and one deadline timer; reaps orphans meanwhile.
   * Says so on `out` as C nitro does: each signal sent, and ` done.` once
   * nobody is left.
   */
  killAll(isOurs: IsOurs, graceMs?: number, out?: LastWords): Promise<void>;

  /**
   * Mark these fds (inherited from whoever started nitro) close-on-exec,
   * so that no service inherits them; returns the messages of failures.
   */
  closeOnExec(fds: readonly number[]): string[];

  /**
   * End a machine (not a container: rejects there, doing nothing): sync,
   * remount `/` read-only, sync, then power off (`"shutdown"`) or reboot.
   * The remount and the power-off are said on `out` in C nitro's words,
   * and its flush awaited before the kernel is asked.
   * Never resolves; rejects if the kernel refuses.
   */
  finish(mode: "shutdown" | "reboot", out?: LastWords): Promise<never>;

  /**
   * Replace nitro by `path` (`SYS/reincarnate`) with argv `[path, ...args]`
   * and nitro's environment, keeping pid 1 and all children. SIGPIPE is
   * reset to default first (Deno ignores it). Throws if the exec fails.
   */
  reincarnate(path: string, args: string[]): never;
}

/**
 * Become pid 1: load libc, mount `/proc` if it is not a mount point (Deno
 * needs it, see the module doc), `/dev` (devtmpfs) if `/dev/null` is
 * missing and `/dev` is not a mount point, `/run` (tmpfs, nosuid, nodev,
 * mode 0755) if it is not a mount point, and tell machine from container.
 * Mount failures are reported in `warnings`, not thrown; a failed mount of
 * `/run` only when `/run` is not writable as it is.
 *
 * Mount points are found by comparing `st_dev` with the parent's, which
 * needs no /proc (not mounted yet at early boot). A bind mount from the
 * same file system is not recognised.
 */
export async function enterPid1(): Promise<Pid1> {
  if (!isPid1()) throw new Error("enterPid1: not pid 1");
  const libc: Libc = await import("./libc.ts");
  const mounted: string[] = [];
  const warnings: string[] = [];
  const tryMount = (
    source: string,
    target: string,
    fstype: string,
    flags: number,
    data: string | null,
    orElse?: { usable: () => boolean; advice: string },
  ) => {
    try {
      libc.mount(source, target, fstype, flags, data);
      mounted.push(target);
    } catch (e) {
      if (orElse?.usable()) return;
      warnings.push(
        `mount ${fstype} on ${target}: ${message(e)}` +
          (orElse ? `; ${orElse.advice}` : ""),
      );
    }
  };
  if (Deno.build.os === "linux") {
    const { MS_NOSUID, MS_NODEV, MS_NOEXEC } = libc;
    if (!isMountPoint(libc, "/proc")) {
      tryMount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    }
    if (!exists(libc, "/dev/null") && !isMountPoint(libc, "/dev")) {
      tryMount("dev", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    }
    if (!isMountPoint(libc, "/run")) {
      // Without CAP_SYS_ADMIN (a container) the image's /run will do if
      // nitro can write there; else say how to give it one.
      tryMount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", {
        usable: () => writable("/run"),
        advice: "/run is not writable either: run the container with " +
          "--tmpfs /run, or give its image a writable /run",
      });
    }
  }
  const container = !libc.inInitPidNamespace();
  return new Pid1Impl(libc, container, mounted, warnings);
}

function exists(libc: Libc, path: string): boolean {
  try {
    libc.statDev(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether nitro can create files in `dir` (tried, then undone). */
function writable(dir: string): boolean {
  try {
    Deno.removeSync(Deno.makeTempFileSync({ dir, prefix: ".nitro-" }));
    return true;
  } catch {
    return false;
  }
}

function isMountPoint(libc: Libc, path: string): boolean {
  try {
    return libc.statDev(path) !== libc.statDev(`${path}/..`);
  } catch {
    return false; // missing: mounting will fail and say so
  }
}

class Pid1Impl implements Pid1 {
  constructor(
    private readonly libc: Libc,
    readonly container: boolean,
    readonly mounted: readonly string[],
    readonly warnings: readonly string[],
  ) {}

  reapOrphans(isOurs: IsOurs): number {
    return this.reapUntilOurs(isOurs).reaped;
  }

  watchOrphans(isOurs: IsOurs, onReap?: (n: number) => void): () => void {
    let recheck: ReturnType<typeof setTimeout> | undefined;
    let next = 0;
    const reap = () => {
      recheck = undefined;
      const { reaped, blocked } = this.reapUntilOurs(isOurs);
      if (reaped > 0) onReap?.(reaped);
      // Orphans behind a zombie of ours wait until Deno has collected it,
      // which raises no signal: look again shortly, a bounded few times.
      if (blocked && next < RECHECK_MS.length) {
        recheck = setTimeout(reap, RECHECK_MS[next++]);
      }
    };
    const listener = () => {
      clearTimeout(recheck);
      next = 0;
      reap();
    };
    Deno.addSignalListener("SIGCHLD", listener);
    listener(); // orphans that exited before we listened
    return () => {
      clearTimeout(recheck);
      Deno.removeSignalListener("SIGCHLD", listener);
    };
  }

  async killAll(
    isOurs: IsOurs,
    graceMs = 7000,
    out: LastWords = stderrNow,
  ): Promise<void> {
    const { kill, SIGNALS } = this.libc;
    out.say(SENDING_SIGTERM);
    kill(-1, SIGNALS.SIGTERM);
    kill(-1, SIGNALS.SIGCONT);
    if (await this.allGone(isOurs, graceMs)) return out.write(ALL_GONE);
    out.say(SENDING_SIGKILL);
    kill(-1, SIGNALS.SIGKILL);
    // One in D state may never go: then, as C nitro, no " done.".
    if (await this.allGone(isOurs, KILL_WAIT_MS)) out.write(ALL_GONE);
  }

  closeOnExec(fds: readonly number[]): string[] {
    const failed: string[] = [];
    for (const fd of fds) {
      try {
        this.libc.closeOnExec(fd);
      } catch (e) {
        failed.push(message(e));
      }
    }
    return failed;
  }

  async finish(
    mode: "shutdown" | "reboot",
    out: LastWords = stderrNow,
  ): Promise<never> {
    const libc = this.libc;
    // Ask the kernel again rather than trust `container`: remounting / from
    // a child PID namespace would reach the host's superblock.
    if (this.container || !libc.inInitPidNamespace()) {
      throw new Error("finish: not a machine's init (a container just exits)");
    }
    libc.sync();
    let failure: unknown = null;
    try {
      libc.mount("/", "/", null, libc.MS_REMOUNT | libc.MS_RDONLY, null);
    } catch (e) {
      // Busy file systems stay writable; power off anyway, after a sync.
      failure = e;
    }
    out.say(remountLine(failure));
    libc.sync();
    out.say(powerLine(mode));
    await out.flush();
    libc.reboot(mode === "reboot" ? libc.RB_AUTOBOOT : libc.RB_POWER_OFF);
    throw new Error("finish: reboot returned");
  }

  reincarnate(path: string, args: string[]): never {
    const libc = this.libc;
    const env = Object.entries(Deno.env.toObject()).map(([k, v]) =>
      `${k}=${v}`
    );
    const sigpipe = libc.defaultSignal(libc.SIGNALS.SIGPIPE);
    try {
      return libc.execve(path, [path, ...args], env);
    } catch (e) {
      libc.restoreSignal(libc.SIGNALS.SIGPIPE, sigpipe); // still us
      throw e;
    }
  }

  /**
   * Every process in /proc with its state and flags; null if /proc is not
   * there.
   */
  private processes(): ProcEntry[] | null {
    let names: string[];
    try {
      names = [...Deno.readDirSync("/proc")].map((e) => e.name);
    } catch {
      return null;
    }
    if (!names.includes("self")) return null; // a bare dir, not procfs
    const list: ProcEntry[] = [];
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${name}/stat`);
      } catch {
        continue; // gone meanwhile
      }
      // "pid (comm) S ppid pgrp session tty tpgid flags ...": comm may hold
      // spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      list.push({
        pid: Number(name),
        state: fields[0],
        flags: Number(fields[6]),
      });
    }
    return list;
  }

  /**
   * Whether any process but us is left, kernel threads and zombies aside;
   * null without /proc. (`kill(-1, 0)` cannot tell: on a machine it also
   * reaches the kernel's threads, so it never says "nobody left".)
   */
  private othersLeft(): boolean | null {
    const me = Deno.pid;
    const list = this.processes();
    if (list === null) return null;
    return list.some((p) =>
      p.pid !== me && p.state !== "Z" && (p.flags & PF_KTHREAD) === 0
    );
  }

  /**
   * Reap exited children, oldest first, until none is left or the next is
   * ours (`waitid` with WNOWAIT shows it without collecting it; Deno's
   * runtime will). The cost is a system call per zombie, whatever the
   * number of processes: a scan of /proc on every SIGCHLD let any user who
   * orphans short-lived processes in a loop keep pid 1 busy (with 3,000
   * other processes, `nitroctl list` failed after 68-77 s).
   */
  private reapUntilOurs(isOurs: IsOurs): { reaped: number; blocked: boolean } {
    if (Deno.build.os !== "linux") return { reaped: 0, blocked: false }; // FreeBSD: not implemented yet
    let reaped = 0;
    for (let pid = this.libc.peekExited(); pid > 0;) {
      if (isOurs(pid)) return { reaped, blocked: true };
      if (!this.reap(pid)) break;
      reaped++;
      pid = this.libc.peekExited();
    }
    return { reaped, blocked: false };
  }

  /** Collect one exited child; false if it was not there to collect. */
  private reap(pid: number): boolean {
    try {
      return this.libc.waitpid(pid, this.libc.WNOHANG).pid === pid;
    } catch {
      return false; // ECHILD: someone else collected it
    }
  }

  /**
   * Resolve true once no other process exists (`kill(-1, 0)` → ESRCH), or
   * false after `ms`. Checks now, on each SIGCHLD, and a few times shortly
   * after each SIGCHLD (see {@link RECHECK_MS}).
   */
  private allGone(isOurs: IsOurs, ms: number): Promise<boolean> {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    let recheck: ReturnType<typeof setTimeout> | undefined;
    let next = 0;
    const finish = (ok: boolean) => {
      clearTimeout(deadline);
      clearTimeout(recheck);
      Deno.removeSignalListener("SIGCHLD", onChild);
      resolve(ok);
    };
    const check = () => {
      recheck = undefined;
      // Look before reaping: whoever is a zombie by then is a child of ours
      // (an exited parent hands its children over first), so the reaping
      // below collects it, or stops at a zombie Deno has yet to collect.
      const alive = this.othersLeft();
      const { blocked } = this.reapUntilOurs(isOurs);
      // Without /proc: failure means nobody is left to signal (pid 1 may
      // signal anyone); errno, read in a second FFI call, is not trusted.
      const left = blocked || (alive ?? this.libc.kill(-1, 0) === 0);
      if (!left) return finish(true);
      if (next < RECHECK_MS.length) {
        recheck = setTimeout(check, RECHECK_MS[next++]);
      }
    };
    const onChild = () => {
      clearTimeout(recheck);
      next = 0;
      check();
    };
    Deno.addSignalListener("SIGCHLD", onChild);
    const deadline = setTimeout(() => finish(false), ms);
    check();
    return promise;
  }
}
