/**
 * Test harness for the real nitro daemon as pid 1 of a fresh PID + mount
 * namespace (tests/e2e/pid1_*_test.ts):
 *
 * ```sh
 * unshare --pid --fork --mount --mount-proc --propagation private \
 *   --kill-child sh -c '…checks…; SETUP; exec deno run <nitro-init> cli/nitro.ts DIR'
 * ```
 *
 * The socket lives in a temporary directory on the host's file system, so
 * the real nitroctl, run by the test outside the namespace, reaches it.
 *
 * Safety: the shell in the namespace refuses to go on (exit 99) unless every
 * mount there is private, before it runs any `setup` commands; `/proc` is
 * the namespace's own. `--kill-child` ties the namespace to unshare, and
 * `stop()` SIGKILLs the namespace's init by its host pid (which ends every
 * process of the namespace) and then unshare, by pid. Nothing here signals
 * a process outside the namespace.
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { UNSHARE } from "../init_fixtures/harness.ts";
import { procStat, REPO_ROOT as ROOT, shq } from "./common.ts";
import {
  answers,
  collect,
  type CtlResult,
  descendantsOf,
  eventually,
  runCtl,
  strayFds,
} from "./nitro.ts";

export { runCtl, strayFds };

export { unshareUnavailable } from "./common.ts";
export { shq };

/** A shell script: `#!/bin/sh` plus the lines. */
export function sh(...lines: string[]): string {
  return `#!/bin/sh\n${lines.join("\n")}\n`;
}

/** Write `{ name: { file: content } }` trees; `#!` files are executable. */
export function writeTree(
  dir: string,
  tree: Record<string, Record<string, string>>,
): void {
  for (const [name, files] of Object.entries(tree)) {
    Deno.mkdirSync(join(dir, name), { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      const path = join(dir, name, file);
      Deno.writeTextFileSync(path, content);
      if (content.startsWith("#!")) Deno.chmodSync(path, 0o755);
    }
  }
}

/** Read a text file, or "" when it is not there (yet). */
export function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Non-empty lines of a file (none when it is missing). */
export function linesOf(path: string): string[] {
  return readOr(path).split("\n").filter((l) => l !== "");
}

/** One process as seen from the host. */
export interface Proc {
  /** Host pid. */
  pid: number;
  /** pid inside the namespace (last NSpid entry). */
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

/** Options of {@link NsNitro.start}. */
export interface StartOptions {
  /** Shell commands run in the namespace (as root) before nitro. */
  setup?: string;
  /** Redirections applied to nitro's exec, e.g. `0<&- 1>&- 2>&-`. */
  redirect?: string;
  /** Arguments of nitro (default: the service directory). */
  args?: string[];
  /** Extra environment for nitro (and so its services). */
  env?: Record<string, string>;
  /** Wait for the socket (default true). */
  wait?: boolean;
}

/** The real nitro as pid 1 of a PID + mount namespace. */
export class NsNitro {
  /** Service directory. */
  readonly dir: string;
  /** Control socket, on the host's file system. */
  readonly sock: string;
  #child: Deno.ChildProcess | null = null;
  #status: Promise<Deno.CommandStatus> | null = null;
  #stdout = "";
  #stderr = "";
  #reading: Promise<void>[] = [];
  #hostPid = 0;
  #ended = false;

  /** `root` is a temporary directory owned by the test. */
  constructor(readonly root: string) {
    this.dir = join(root, "svc");
    this.sock = join(root, "nitro.sock");
    Deno.mkdirSync(this.dir, { recursive: true });
  }

  /** A harness in a fresh temporary directory, with `services` written. */
  static async create(
    services: Record<string, Record<string, string>> = {},
  ): Promise<NsNitro> {
    const root = await Deno.makeTempDir({ prefix: "nitro-pid1-" });
    const n = new NsNitro(root);
    writeTree(n.dir, services);
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
      NO_COLOR: "1",
      ...extra,
    };
  }

  /** Start nitro as pid 1 of new namespaces; wait until its socket answers. */
  async start(opts: StartOptions = {}): Promise<void> {
    const deno = [
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      ...PERMISSIONS["nitro-init"],
      join(ROOT, "cli/nitro.ts"),
      ...(opts.args ?? [this.dir]),
    ].map(shq).join(" ");
    const body = [
      // Refuse unless all mounts are private ("shared:N" marks a peer group).
      "if grep -q ' shared:' /proc/self/mountinfo; then exit 99; fi",
      "set -e",
      opts.setup ?? ":",
      `exec ${deno} ${opts.redirect ?? ""}`,
    ].join("\n");
    // Only fds 0-2 go into the namespace (the test runner may hold others
    // without close-on-exec), and no core dumps. bash: dash cannot name
    // fds above 9.
    const closeStray = strayFds().map((fd) => `${fd}>&-`).join(" ");
    this.#child = new Deno.Command("/bin/bash", {
      args: [
        "-c",
        `ulimit -c 0; ${closeStray ? `exec ${closeStray}; ` : ""}` +
        'exec unshare "$@"',
        "bash",
        ...UNSHARE,
        "sh",
        "-c",
        body,
      ],
      env: this.env(opts.env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#status = this.#child.status;
    this.#status.then(() => this.#ended = true);
    this.#reading = [
      collect(this.#child.stdout, (s) => this.#stdout += s).done,
      collect(this.#child.stderr, (s) => this.#stderr += s).done,
    ];
    this.#hostPid = await this.#findInit();
    if (opts.wait ?? true) await this.waitForSocket();
  }

  /** The host pid of unshare (the process the test spawned). */
  get unsharePid(): number {
    return this.#child!.pid;
  }

  /** The host pid of the namespace's init (nitro, once it has exec'd). */
  get hostPid(): number {
    return this.#hostPid;
  }

  /** How unshare ended: the namespace init's exit status. */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#status!;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** unshare's only child: pid 1 of the new namespace. */
  async #findInit(): Promise<number> {
    const children = () =>
      readOr(`/proc/${this.unsharePid}/task/${this.unsharePid}/children`)
        .trim();
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

  /** Wait until the socket accepts a connection (nitro has booted). */
  waitForSocket(ms = 20_000): Promise<void> {
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

  /** Every process of the namespace, seen from the host: init first. */
  processes(): Proc[] {
    return [this.#hostPid, ...descendantsOf(this.#hostPid)]
      .map(procInfo)
      .filter((p): p is Proc => p !== null);
  }

  /** Run the real nitroctl (outside the namespace) with `args`. */
  ctl(args: string[]): Promise<CtlResult> {
    return runCtl(args, this.env());
  }

  /** Wait for unshare to end (SIGKILLing the namespace after `ms`). */
  async wait(ms = 20_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((r) => timer = setTimeout(r, ms, null));
    const status = await Promise.race([this.#status!, timeout]);
    clearTimeout(timer);
    if (status === null) {
      await this.#kill();
      throw new Error(`nitro did not exit within ${ms} ms:\n${this.#stderr}`);
    }
    await Promise.all(this.#reading);
    return status;
  }

  async #kill(): Promise<void> {
    if (this.#child === null) return;
    // SIGKILL to a namespace's init ends every process in the namespace.
    // Only if it still is that init: NSpid "<host pid> 1".
    const init = this.#ended ? null : procInfo(this.#hostPid);
    if (init !== null && init.nsPid === 1) {
      try {
        Deno.kill(this.#hostPid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    try {
      this.#child.kill("SIGKILL"); // --kill-child: takes the namespace too
    } catch {
      // Already exited.
    }
    await this.#status;
    await Promise.all(this.#reading);
  }

  /** Kill everything this harness started and remove its directory. */
  async stop(): Promise<void> {
    await this.#kill();
    this.#child = null;
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

/** `key value` lines of `nitroctl info` as a record. */
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
