/**
 * Test harness: a real nitro daemon on a temporary service directory with
 * its own socket, started with exactly the permissions of ci/permissions.ts
 * (as a plain process, or as pid 1 of a fresh PID + mount namespace), and a
 * way to run the real nitroctl against it. Everything it starts is killed
 * by pid (and process group) in `stop()`.
 *
 * @module
 */

import { strayFds as notCloseOnExec } from "../../src/daemon/inherited_fds.ts";
import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { descendantsOf } from "../../ci/proc.ts";
import { NitroClient } from "../../src/client.ts";

export { descendantsOf };

import { UNSHARE } from "../init_fixtures/harness.ts";
import {
  procStat,
  readOr,
  REPO_ROOT as ROOT,
  runCommand,
  shq,
} from "./common.ts";

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

/** How a harness runs nitro, fixed when it is made. */
export interface NitroOptions {
  /**
   * Run nitro as pid 1 of a fresh PID + mount namespace (`unshare`), with
   * the `nitro-init` permissions; the socket stays on the host's file
   * system, so nitroctl, run outside, reaches it. Before anything runs in
   * the namespace its shell refuses to go on (exit 99) unless every mount
   * there is private; `stop()` SIGKILLs the namespace's init by its host
   * pid (which ends every process in it), then unshare, by pid.
   */
  pid1?: boolean;
  /** Service directory (default: ROOT/svc). */
  dir?: string;
}

/** Options of {@link Nitro.start}. */
export interface StartOptions {
  /** Arguments of nitro (default: the service directory). */
  args?: string[];
  /** Extra environment for nitro (and so its services). */
  env?: Record<string, string>;
  /** Deno flags (default: the permissions of ci/permissions.ts). */
  flags?: string[];
  cwd?: string;
  /** The command line that runs nitro's (`script` for a terminal). */
  wrap?: (argv: string[]) => string[];
  /** pid 1 only: shell commands run in the namespace (as root) first. */
  setup?: string;
  /** pid 1 only: redirections applied to nitro's exec (`0<&- 1>&- 2>&-`). */
  redirect?: string;
  /** Wait for the socket to answer (default true). */
  wait?: boolean;
}

/** A running nitro under test, as a plain process or as pid 1. */
export class Nitro {
  readonly sock: string;
  readonly dir: string;
  readonly pid1: boolean;
  #child: Deno.ChildProcess | null = null;
  #stdout = "";
  #stderr = "";
  #reading: { done: Promise<void>; cancel: () => void }[] = [];
  /** Host pid of the namespace's init (pid 1 only). */
  #initPid = 0;
  #ended = false;
  /** How the process the test spawned ended (null before `start`). */
  exitStatus: Promise<Deno.CommandStatus> | null = null;

  /** `root` is a temporary directory owned by the test. */
  constructor(readonly root: string, opts: NitroOptions = {}) {
    this.dir = opts.dir ?? join(root, "svc");
    this.sock = join(root, "nitro.sock");
    this.pid1 = opts.pid1 ?? false;
    Deno.mkdirSync(this.dir, { recursive: true });
  }

  /** Make a harness in a fresh temporary directory. */
  static async create(
    services: Record<string, ServiceFiles | { link: string }> = {},
    opts: NitroOptions = {},
  ): Promise<Nitro> {
    const prefix = opts.pid1 ? "nitro-pid1-" : "nitro-test-";
    const root = await Deno.makeTempDir({ prefix });
    const n = new Nitro(root, opts);
    writeServices(n.dir, services);
    return n;
  }

  /** A path inside this test's temporary directory. */
  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /**
   * Environment for nitro and nitroctl: this test's socket, and what an
   * installed launcher sets.
   */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...RUN_ENV,
      NITRO_SOCK: this.sock,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      ...(this.pid1 ? { NO_COLOR: "1" } : {}),
      ...extra,
    };
  }

  /** Start the daemon and (unless `wait: false`) wait until it answers. */
  async start(opts: StartOptions = {}): Promise<void> {
    const [cmd, args] = this.pid1
      ? this.#inNamespace(opts)
      : withOnlyStdio((opts.wrap ?? ((argv) => argv))(this.#deno(opts)));
    this.#child = new Deno.Command(cmd, {
      args,
      env: this.env(opts.env),
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // A nitro may be started again (after a crash): this run has not ended.
    this.#ended = false;
    this.exitStatus = this.#child.status;
    this.exitStatus.then(() => this.#ended = true);
    this.#reading = [
      collect(this.#child.stdout, (s) => this.#stdout += s),
      collect(this.#child.stderr, (s) => this.#stderr += s),
    ];
    if (this.pid1) this.#initPid = await this.#findInit();
    if (opts.wait ?? true) await this.waitForSocket();
  }

  /** `deno run … cli/nitro.ts ARGS` with this mode's permissions. */
  #deno(opts: StartOptions): string[] {
    const permissions = this.pid1
      ? ["--no-prompt", ...PERMISSIONS["nitro-init"]]
      : PERMISSIONS.nitro;
    return [
      Deno.execPath(),
      "run",
      "--quiet",
      ...(opts.flags ?? permissions),
      join(ROOT, "cli/nitro.ts"),
      ...(opts.args ?? [this.dir]),
    ];
  }

  /** unshare's command line that execs nitro as the namespace's pid 1. */
  #inNamespace(opts: StartOptions): [string, string[]] {
    const body = [
      // Refuse unless all mounts are private ("shared:N" marks a peer group).
      "if grep -q ' shared:' /proc/self/mountinfo; then exit 99; fi",
      "set -e",
      opts.setup ?? ":",
      `exec ${this.#deno(opts).map(shq).join(" ")} ${opts.redirect ?? ""}`,
    ].join("\n");
    // Only fds 0-2 go into the namespace, and no core dumps. bash: dash
    // cannot name fds above 9.
    const closeStray = strayFds().map((fd) => `${fd}>&-`).join(" ");
    return ["/bin/bash", [
      "-c",
      `ulimit -c 0; ${closeStray ? `exec ${closeStray}; ` : ""}` +
      'exec unshare "$@"',
      "bash",
      ...UNSHARE,
      "sh",
      "-c",
      body,
    ]];
  }

  /** Everything nitro (and its services without a logger) printed so far. */
  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** nitro's host pid (as pid 1: the namespace's init, once it exec'd). */
  get pid(): number {
    return this.pid1 ? this.#initPid : this.#child!.pid;
  }

  /** pid 1: the host pid of the namespace's init (nitro). */
  get hostPid(): number {
    return this.#initPid;
  }

  /** pid 1: the host pid of unshare (the process the test spawned). */
  get unsharePid(): number {
    return this.#child!.pid;
  }

  /** How the spawned process ended (as pid 1: the namespace init's status). */
  get exited(): Promise<Deno.CommandStatus> {
    return this.exitStatus!;
  }

  /** Wait until nitro's stdout contains `text` (bounded by `ms`). */
  waitForOutput(text: string, ms = 10_000): Promise<void> {
    return eventually(
      () => this.#stdout.includes(text),
      ms,
      () => `${JSON.stringify(text)} in:\n${this.#stdout}`,
    );
  }

  /** Wait until the socket accepts a connection (nitro has booted). */
  waitForSocket(ms = this.pid1 ? 20_000 : 15_000): Promise<void> {
    return eventually(
      async () => {
        if (await answers(this.sock)) return true;
        if (this.#ended) {
          throw new Error(`nitro did not come up (exited):\n${this.#stderr}`);
        }
        return false;
      },
      ms,
      () => `nitro to come up:\n${this.#stderr}`,
    );
  }

  /** unshare's only child: pid 1 of the new namespace. */
  async #findInit(): Promise<number> {
    const unshare = this.#child!.pid;
    const children = () =>
      readOr(`/proc/${unshare}/task/${unshare}/children`).trim();
    const failed = () => `unshare to start a namespace:\n${this.#stderr}`;
    await eventually(
      () => {
        if (children() !== "") return true;
        if (this.#ended) throw new Error(`unshare ended: ${failed()}`);
        return false;
      },
      10_000,
      failed,
    );
    return Number(children().split(" ")[0]);
  }

  /** Every process of nitro's tree, seen from the host: nitro first. */
  processes(): Proc[] {
    return [this.pid, ...descendantsOf(this.pid)]
      .map(procInfo)
      .filter((p): p is Proc => p !== null);
  }

  /** Run the real nitroctl with the given arguments. */
  ctl(
    args: string[],
    opts: { env?: Record<string, string>; cwd?: string } = {},
  ): Promise<CtlResult> {
    return runCtl(args, this.env(opts.env), opts.cwd);
  }

  /**
   * Every service's state and pid (what `nitroctl --json list` prints),
   * keyed by name. Asked in process through the client library: tests
   * poll this often, and a nitroctl process per poll costs a Deno start
   * (the nitroctl program is tested on its own).
   */
  async states(): Promise<
    Record<string, { state: string; pid: number | null }>
  > {
    using client = await NitroClient.connect(this.sock);
    const list = await client.list();
    return Object.fromEntries(list.map((s) => [s.name, s]));
  }

  /** Wait for nitro to end by itself (killing everything after `ms`). */
  async wait(ms = 20_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((r) => timer = setTimeout(r, ms, null));
    const status = await Promise.race([this.exitStatus!, timeout]);
    clearTimeout(timer);
    if (status === null) {
      await this.#kill();
      throw new Error(`nitro did not exit within ${ms} ms:\n${this.#stderr}`);
    }
    await Promise.all(this.#reading.map((r) => r.done));
    return status;
  }

  /** Stop everything this harness started and remove its directory. */
  async stop(): Promise<void> {
    await this.#kill();
    this.#child = null;
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }

  async #kill(): Promise<void> {
    if (this.#child === null) return;
    if (this.pid1) await this.#killNamespace();
    else await this.#killTree();
  }

  /**
   * SIGKILL to a namespace's init ends every process in it; only if it
   * still is that init (NSpid "<host pid> 1").
   */
  async #killNamespace(): Promise<void> {
    const child = this.#child!;
    const init = this.#ended ? null : procInfo(this.#initPid);
    if (init !== null && init.nsPid === 1) {
      try {
        Deno.kill(this.#initPid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    try {
      child.kill("SIGKILL"); // --kill-child: takes the namespace too
    } catch {
      // Already exited.
    }
    await child.status;
    await Promise.all(this.#reading.map((r) => r.done));
  }

  /**
   * The daemon (SIGKILL), every process of every session it started
   * (services run in their own sessions, so they are found through their
   * parent: nitro).
   */
  async #killTree(): Promise<void> {
    const child = this.#child!;
    // Frozen, nitro starts nothing between the listing and its end (a
    // service it restarted meanwhile would be missed and left running).
    try {
      child.kill("SIGSTOP");
    } catch {
      // Already exited.
    }
    const descendants = descendantsOf(child.pid);
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
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
  }
}

/** One process as seen from the host. */
export interface Proc {
  /** Host pid. */
  pid: number;
  /** pid inside its PID namespace (last NSpid entry). */
  nsPid: number;
  /** One-letter state (R, S, Z, …). */
  state: string;
  comm: string;
}

/** Read a process from the host's /proc; null if it is gone. */
export function procInfo(pid: number): Proc | null {
  const stat = procStat(pid);
  if (stat === null) return null;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1].trim().split(/\s+/);
    return {
      pid,
      nsPid: Number(nspid?.at(-1) ?? pid),
      state: stat.state,
      comm: stat.comm,
    };
  } catch {
    return null;
  }
}

/** `key value` lines (or the `--json` object) of `nitroctl info`. */
export function parseInfo(text: string): Record<string, string> {
  // `nitroctl --json info`: every fact, text ones too, as strings.
  if (text.trimStart().startsWith("{")) {
    return Object.fromEntries(
      Object.entries(JSON.parse(text)).map(([k, v]) => [k, String(v)]),
    );
  }
  return Object.fromEntries(
    text.trim().split("\n").map((l) => {
      const i = l.indexOf(" ");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
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
