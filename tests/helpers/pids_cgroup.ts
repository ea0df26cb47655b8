/**
 * A pids cgroup of a test's own, as a container's `--pids-limit` makes one:
 * cgroup v1's pids controller, or cgroup v2 where `pids` is enabled for the
 * children of this process's cgroup. Processes enter it by a shell prologue
 * that writes its own pid into `cgroup.procs` and execs the real command.
 *
 * Cleaning up never names a process: {@link PidsCgroup.destroy} forbids new
 * forks (`pids.max` 0), then SIGKILLs every pid `cgroup.procs` lists (v2:
 * `cgroup.kill`) until it is empty, and removes the directory.
 *
 * @module
 */

import { join } from "node:path";
import { shq } from "./common.ts";

/** A fork bomb that forks until EAGAIN and keeps retrying (perl). */
export const FORK_BOMB =
  "$|=1; while (1) { my $p = fork(); next unless defined $p; " +
  "if ($p == 0) { sleep 3600; exit 0 } }";

/** A pids cgroup made for one test. */
export class PidsCgroup {
  private constructor(
    readonly path: string,
    readonly v2: boolean,
  ) {}

  /**
   * Make one with `pids.max` = `max`; a string says why it cannot be made
   * here (not root, no pids controller): the caller skips with it.
   */
  static create(max: number): PidsCgroup | string {
    if (Deno.uid() !== 0) return "needs root for a pids cgroup";
    const base = pidsBase();
    if (typeof base === "string") return base;
    const path = join(base.dir, `nitro-test-${Deno.pid}-${counter++}`);
    try {
      Deno.mkdirSync(path);
      Deno.writeTextFileSync(join(path, "pids.max"), String(max));
    } catch (err) {
      try {
        Deno.removeSync(path);
      } catch {
        // Not made.
      }
      return `cannot make a pids cgroup in ${base.dir}: ${
        (err as Error).message
      }`;
    }
    return new PidsCgroup(path, base.v2);
  }

  /** `argv` run from a shell that first enters this cgroup. */
  enter(argv: string[]): string[] {
    const procs = shq(join(this.path, "cgroup.procs"));
    return ["/bin/sh", "-c", `echo $$ > ${procs} && exec "$@"`, "sh", ...argv];
  }

  /** The shell command that moves the shell running it into this cgroup. */
  get enterCommand(): string {
    return `echo $$ > ${shq(join(this.path, "cgroup.procs"))}`;
  }

  /** Processes in it now. */
  get current(): number {
    return Number(this.#read("pids.current"));
  }

  /** The limit. */
  get max(): string {
    return this.#read("pids.max");
  }

  /** How many forks the limit has refused so far. */
  get refused(): number {
    const m = /^max (\d+)/m.exec(this.#read("pids.events"));
    return m ? Number(m[1]) : 0;
  }

  /** Pids of the processes in it. */
  pids(): number[] {
    return this.#read("cgroup.procs").split("\n").filter((l) => l !== "")
      .map(Number);
  }

  /** Kill everything in it, by pid, and remove it. */
  async destroy(): Promise<void> {
    try {
      Deno.writeTextFileSync(join(this.path, "pids.max"), "0");
    } catch {
      // Gone already.
    }
    for (let round = 0; round < 200; round++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      if (this.v2) {
        try {
          Deno.writeTextFileSync(join(this.path, "cgroup.kill"), "1");
        } catch {
          // An old kernel: by pid below.
        }
      }
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let round = 0; round < 100; round++) {
      try {
        Deno.removeSync(this.path);
        return;
      } catch {
        // Dying processes still count: wait for them to be reaped.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`cannot remove ${this.path}: ${this.pids().join(" ")}`);
  }

  #read(file: string): string {
    try {
      return Deno.readTextFileSync(join(this.path, file)).trim();
    } catch {
      return "";
    }
  }
}

let counter = 0;

/** Where a child pids cgroup can be made, or why not. */
function pidsBase(): { dir: string; v2: boolean } | string {
  let mountinfo: string;
  try {
    mountinfo = Deno.readTextFileSync("/proc/self/mountinfo");
  } catch {
    return "no /proc/self/mountinfo";
  }
  let v2: string | null = null;
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const point = left.split(" ")[4];
    const [fstype, , options] = right.split(" ");
    if (fstype === "cgroup" && options.split(",").includes("pids")) {
      return { dir: point, v2: false };
    }
    if (fstype === "cgroup2") v2 = point;
  }
  if (v2 === null) return "no pids cgroup controller mounted";
  const own = /^0::(.*)$/m.exec(Deno.readTextFileSync("/proc/self/cgroup"))
    ?.[1] ?? "/";
  const dir = join(v2, own);
  try {
    const enabled = Deno.readTextFileSync(join(dir, "cgroup.subtree_control"));
    if (!enabled.split(" ").map((s) => s.trim()).includes("pids")) {
      return `pids is not enabled for the children of ${dir}`;
    }
  } catch {
    return `cannot read ${dir}/cgroup.subtree_control`;
  }
  return { dir, v2: true };
}
