/**
 * A C nitro to test against: built by tests/helpers/c_nitro.ts, run on a
 * service directory in a temporary directory with its own socket, stopped
 * (by pid) when disposed. Runs C's nitroctl and ours side by side.
 *
 * @module
 */

import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { type CNitro, cNitro, isBuilt } from "../helpers/c_nitro.ts";
import {
  type CommandResult,
  REPO_ROOT,
  runCommand,
} from "../helpers/common.ts";
import { eventually } from "../helpers/nitro.ts";

/** The C nitro of this process, or the reason there is none. */
export async function cNitroOrSkip(): Promise<CNitro | null> {
  const c = await cNitro();
  if (isBuilt(c)) return c;
  console.log(`skipped: no C nitro to test against: ${c.reason}`);
  return null;
}

/** A service: its files, by name, with their contents (scripts get +x). */
export type Files = Record<string, string>;

/** What a run of a nitroctl printed and how it exited. */
export type Run = CommandResult;

/** Our nitroctl, with exactly the permissions of ci/permissions.ts. */
export const OUR_NITROCTL = [
  "run",
  "--quiet",
  ...PERMISSIONS.nitroctl,
  `${REPO_ROOT}cli/nitroctl.ts`,
];

/** A running C nitro on a service directory of its own. */
export class RunningCNitro implements AsyncDisposable {
  readonly c: CNitro;
  readonly dir: string;
  readonly sock: string;
  readonly notifyDir: string;
  readonly services: string;
  readonly child: Deno.ChildProcess;

  private constructor(c: CNitro, dir: string, child: Deno.ChildProcess) {
    this.c = c;
    this.dir = dir;
    this.sock = `${dir}/run/nitro.sock`;
    this.notifyDir = `${dir}/run/notify`;
    this.services = `${dir}/sv`;
    this.child = child;
  }

  /** Start C nitro on these services; resolve once its socket exists. */
  static async start(
    c: CNitro,
    services: Record<string, Files>,
  ): Promise<RunningCNitro> {
    const dir = await Deno.makeTempDir({ prefix: "spat-" });
    for (const [name, files] of Object.entries(services)) {
      await Deno.mkdir(`${dir}/sv/${name}`, { recursive: true });
      for (const [file, text] of Object.entries(files)) {
        const path = `${dir}/sv/${name}/${file}`;
        await Deno.writeTextFile(path, text);
        if (text.startsWith("#!")) await Deno.chmod(path, 0o755);
      }
    }
    const child = new Deno.Command(c.nitro, {
      args: [`${dir}/sv`],
      env: { NITRO_SOCK: `${dir}/run/nitro.sock` },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const nitro = new RunningCNitro(c, dir, child);
    await eventually(() => exists(nitro.sock), 10_000, "C nitro's socket");
    return nitro;
  }

  /** Run C's nitroctl. */
  cctl(args: string[], opts: { cwd?: string } = {}): Promise<Run> {
    return run(this.c.nitroctl, args, this.sock, opts.cwd);
  }

  /** Run our nitroctl. */
  ours(args: string[], opts: { cwd?: string } = {}): Promise<Run> {
    return run(
      Deno.execPath(),
      [...OUR_NITROCTL, ...args],
      this.sock,
      opts.cwd,
    );
  }

  /** The reply sockets left in the notify directory. */
  leftovers(): string[] {
    try {
      return [...Deno.readDirSync(this.notifyDir)].map((e) => e.name);
    } catch {
      return [];
    }
  }

  /** Stop C nitro (it stops its services first) and remove the directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGCONT");
      this.child.kill("SIGTERM");
    } catch {
      // Gone already.
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Gone already.
      }
    }, 15_000);
    await this.child.status;
    clearTimeout(timer);
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Run a program to completion (killed after 30 s, so a hang fails). */
export function run(
  program: string,
  args: string[],
  sock: string,
  cwd?: string,
): Promise<Run> {
  return runCommand(program, {
    args,
    cwd,
    env: { ...RUN_ENV, NITRO_SOCK: sock },
    killAfterMs: 30_000,
  });
}

/**
 * Output with what differs between two runs made alike: pids, seconds,
 * nitro's reap counters.
 */
export function normalise(text: string): string {
  return text
    .replace(/\(pid \d+\)/g, "(pid N)")
    .replace(/ \d+s$/gm, " Ns")
    .replace(/^\d+$/gm, "N")
    .replace(/^(nitro_pid|pid|total_reaps|total_sv_reaps) \d+$/gm, "$1 N");
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
