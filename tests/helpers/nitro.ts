/**
 * Test harness: a real nitro daemon on a temporary service directory with
 * its own socket, started with exactly the permissions of ci/permissions.ts,
 * and a way to run the real nitroctl against it. Everything it starts is
 * killed by pid (and process group) in `stop()`.
 *
 * @module
 */

import { strayFds as notCloseOnExec } from "../../src/daemon/inherited_fds.ts";
import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { descendantsOf } from "../../ci/proc.ts";

export { descendantsOf };

import { REPO_ROOT as ROOT, runCommand } from "./common.ts";

/** Files of one service: name → content (executable when it starts `#!`). */
export type ServiceFiles = Record<string, string | { link: string }>;

/** Write a service directory tree: `{ web: { run: "#!/bin/sh\n..." } }`. */
export function writeServices(
  dir: string,
  services: Record<string, ServiceFiles | { link: string }>,
): void {
  for (const [name, files] of Object.entries(services)) {
    const path = join(dir, name);
    if ("link" in files && typeof files.link === "string") {
      Deno.symlinkSync(files.link as string, path);
      continue;
    }
    Deno.mkdirSync(path, { recursive: true });
    for (const [file, content] of Object.entries(files as ServiceFiles)) {
      const target = join(path, file);
      if (typeof content === "object") {
        Deno.symlinkSync(content.link, target);
        continue;
      }
      Deno.writeTextFileSync(target, content);
      if (content.startsWith("#!")) Deno.chmodSync(target, 0o755);
    }
  }
}

/** `deno` arguments that run the real nitro with its permissions. */
export function nitroArgs(args: string[]): string[] {
  return [
    "run",
    "--quiet",
    ...PERMISSIONS.nitro,
    join(ROOT, "cli/nitro.ts"),
    ...args,
  ];
}

/** `deno` arguments that run the real nitroctl with its permissions. */
export function nitroctlArgs(args: string[]): string[] {
  return [
    "run",
    "--quiet",
    ...PERMISSIONS.nitroctl,
    join(ROOT, "cli/nitroctl.ts"),
    ...args,
  ];
}

/** Run the real nitroctl with exactly `env`, in `cwd`. */
export async function runCtl(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<CtlResult> {
  return await runCommand(Deno.execPath(), {
    args: nitroctlArgs(args),
    env,
    clearEnv: true,
    cwd,
  });
}

/** Result of one nitroctl run. */
export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running nitro under test. */
export class Nitro {
  readonly sock: string;
  readonly dir: string;
  #child: Deno.ChildProcess | null = null;
  #stdout = "";
  #stderr = "";
  #reading: { done: Promise<void>; cancel: () => void }[] = [];
  exitStatus: Promise<Deno.CommandStatus> | null = null;

  /** `root` is a temporary directory owned by the test. */
  constructor(readonly root: string, opts: { dir?: string } = {}) {
    this.dir = opts.dir ?? join(root, "svc");
    this.sock = join(root, "nitro.sock");
    Deno.mkdirSync(this.dir, { recursive: true });
  }

  /** Make a harness in a fresh temporary directory. */
  static async create(
    services: Record<string, ServiceFiles | { link: string }> = {},
  ): Promise<Nitro> {
    const root = await Deno.makeTempDir({ prefix: "nitro-test-" });
    const n = new Nitro(root);
    writeServices(n.dir, services);
    return n;
  }

  /**
   * Environment for nitro and nitroctl: this test's socket, and what an
   * installed launcher sets.
   */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...RUN_ENV,
      NITRO_SOCK: this.sock,
      PATH: Deno.env.get("PATH") ?? "",
      ...extra,
    };
  }

  /** Start the daemon and wait until its socket answers. */
  async start(
    opts: {
      args?: string[];
      env?: Record<string, string>;
      flags?: string[];
      cwd?: string;
      /** The command line that runs nitro's (`script` for a terminal). */
      wrap?: (argv: string[]) => string[];
    } = {},
  ): Promise<void> {
    const flags = opts.flags ?? [...PERMISSIONS.nitro];
    const bare = [
      Deno.execPath(),
      "run",
      "--quiet",
      ...flags,
      join(ROOT, "cli/nitro.ts"),
      ...(opts.args ?? [this.dir]),
    ];
    const [cmd, args] = withOnlyStdio(opts.wrap ? opts.wrap(bare) : bare);
    this.#child = new Deno.Command(cmd, {
      args,
      env: this.env(opts.env),
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.exitStatus = this.#child.status;
    this.#reading = [
      collect(this.#child.stdout, (s) => this.#stdout += s),
      collect(this.#child.stderr, (s) => this.#stderr += s),
    ];
    await this.#waitForSocket();
  }

  /** Everything nitro (and its services without a logger) printed so far. */
  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get pid(): number {
    return this.#child!.pid;
  }

  /** Wait until nitro's stdout contains `text` (bounded by `ms`). */
  waitForOutput(text: string, ms = 10_000): Promise<void> {
    return eventually(
      () => this.#stdout.includes(text),
      ms,
      () => `${JSON.stringify(text)} in:\n${this.#stdout}`,
    );
  }

  #waitForSocket(): Promise<void> {
    return eventually(
      () => answers(this.sock),
      15_000,
      () => `nitro to come up:\n${this.#stderr}`,
    );
  }

  /** Run the real nitroctl with the given arguments. */
  ctl(
    args: string[],
    opts: { env?: Record<string, string>; cwd?: string } = {},
  ): Promise<CtlResult> {
    return runCtl(args, this.env(opts.env), opts.cwd);
  }

  /** `nitroctl list --json` as objects keyed by name. */
  async states(): Promise<
    Record<string, { state: string; pid: number | null }>
  > {
    const r = await this.ctl(["--json", "list"]);
    const list = JSON.parse(r.stdout) as {
      name: string;
      state: string;
      pid: number | null;
    }[];
    return Object.fromEntries(list.map((s) => [s.name, s]));
  }

  /**
   * Stop everything: the daemon (SIGKILL), every process of every session it
   * started (services run in their own sessions, so they are found through
   * their parent: nitro), and the temp directory.
   */
  async stop(): Promise<void> {
    if (this.#child) {
      // Frozen, nitro starts nothing between the listing and its end (a
      // service it restarted meanwhile would be missed and left running).
      try {
        this.#child.kill("SIGSTOP");
      } catch {
        // Already exited.
      }
      const descendants = descendantsOf(this.#child.pid);
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await this.#child.status;
      for (const pid of descendants) {
        try {
          Deno.kill(-pid, "SIGKILL");
        } catch {
          // Not a group leader, or gone.
        }
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Gone.
        }
      }
      // A stray that escaped nitro (reparented away) may still hold the
      // output pipes: do not wait for it forever.
      const drained = Promise.all(this.#reading.map((r) => r.done));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        drained,
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
      for (const r of this.#reading) r.cancel();
      await drained;
      this.#child = null;
    }
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

/**
 * `argv` as a command and its arguments that start it with fds 0-2 only,
 * as an init or a container runtime starts nitro. Whatever the test runner
 * inherited without close-on-exec would otherwise pass through nitro into
 * every service (outside pid 1 nitro can only warn about it), so it is
 * closed first, by bash (dash cannot name fds above 9). `exec`: the pid is
 * the program's.
 */
export function withOnlyStdio(argv: string[]): [string, string[]] {
  const stray = strayFds();
  if (stray.length === 0) return [argv[0], argv.slice(1)];
  const close = stray.map((fd) => `${fd}>&-`).join(" ");
  return ["/bin/bash", ["-c", `exec ${close}; exec "$@"`, "nitro", ...argv]];
}

/** This process's fds above 2 that a child would inherit (no CLOEXEC). */
export function strayFds(): number[] {
  // "FD FLAGS" lines, as nitro's own check lists them.
  const listing: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fdinfo")) {
    try {
      const info = Deno.readTextFileSync(`/proc/self/fdinfo/${entry.name}`);
      const flags = /flags:\s*([0-7]+)/.exec(info)?.[1];
      if (flags !== undefined) listing.push(`${entry.name} ${flags}`);
    } catch {
      // Closed meanwhile (the directory listing's own fd, for one).
    }
  }
  return notCloseOnExec(listing.join("\n"));
}

/** Read `stream` into `sink`; `cancel()` stops reading at once. */
export function collect(
  stream: ReadableStream<Uint8Array>,
  sink: (s: string) => void,
): { done: Promise<void>; cancel: () => void } {
  const dec = new TextDecoder();
  const reader = stream.getReader();
  const done = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        sink(dec.decode(value, { stream: true }));
      }
    } catch {
      // Cancelled.
    }
  })();
  return { done, cancel: () => void reader.cancel().catch(() => {}) };
}

/** Sleep `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Poll `check` until it returns true, for at most `ms` (tests only); an
 * error thrown by `check` ends the wait at once. `what` (or a function
 * making it, for details known only at the end) goes into the timeout error.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what: string | (() => string) = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const text = typeof what === "function" ? what() : what;
      throw new Error(`timed out waiting for ${text}`);
    }
    await delay(25);
  }
}

/** Whether something accepts a connection on the Unix socket `path`. */
export async function answers(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch {
    return false;
  }
}
