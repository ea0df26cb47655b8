/**
 * Runs a fixture script as pid 1 of a fresh PID + mount namespace:
 * `unshare --pid --fork --mount --mount-proc --propagation private
 * --kill-child sh -c '…; exec deno run <nitro-init permissions> FIXTURE'`.
 *
 * Safety: the shell refuses to go on (exit 99) unless every mount in the new
 * namespace is private, before it runs any `setup` commands (which may
 * unmount or mount, under `set -e`) and before the fixture runs.
 * `--kill-child` makes the namespace die with unshare, so killing unshare
 * (the timeout does) cleans up everything. Core dumps are off (`ulimit -c
 * 0`), since some fixtures crash on purpose.
 *
 * @module
 */

import { PERMISSIONS } from "../../ci/permissions.ts";
import { REPO_ROOT, shq as sh } from "../helpers/common.ts";

export { unshareUnavailable } from "../helpers/common.ts";

/** What a fixture run ended with. */
export interface Pid1Run {
  /** Exit code as Deno reports it (128+n when killed by signal n). */
  code: number;
  /** Signal that ended unshare (it re-raises the namespace init's). */
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** The JSON after the last `RESULT ` line of stdout, if any. */
  result: Record<string, unknown> | null;
}

/** Options of {@link runAsPid1}. */
export interface RunOptions {
  /** Shell commands run in the namespace before the fixture (as root). */
  setup?: string;
  /** Shell redirections applied to the fixture, e.g. `0<&- 1>&- 2>&-`. */
  redirect?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory of unshare and the fixture. */
  cwd?: string;
  /** Run the fixture chrooted here (see {@link isolatedRootSetup}). */
  chroot?: string;
  /** A command that execs its arguments, put in front of `deno`. */
  wrapper?: string[];
  /** Kill the whole namespace after this long (default 30 s). */
  timeoutMs?: number;
}

/**
 * unshare's options for a child PID and mount namespace, with private
 * mount propagation and the namespace killed with unshare.
 */
export const UNSHARE = [
  "--pid",
  "--fork",
  "--mount",
  "--mount-proc",
  "--propagation",
  "private",
  "--kill-child",
] as const;

/** Absolute path of a fixture script in this directory. */
export function fixture(name: string): string {
  return new URL(name, import.meta.url).pathname;
}

/** Run `script` (a fixture path) with `args` as pid 1 of new namespaces. */
export async function runAsPid1(
  script: string,
  args: string[] = [],
  options: RunOptions = {},
): Promise<Pid1Run> {
  const deno = [
    Deno.execPath(),
    "run",
    "--no-prompt",
    ...PERMISSIONS["nitro-init"],
    script,
    ...args,
  ].map(sh).join(" ");
  const body = [
    // Refuse unless all mounts are private ("shared:N" marks a peer group).
    "if grep -q ' shared:' /proc/self/mountinfo; then exit 99; fi",
    "ulimit -c 0",
    "set -e",
    options.setup ?? ":",
    [
      "exec",
      ...options.chroot ? ["chroot", sh(options.chroot)] : [],
      ...(options.wrapper ?? []).map(sh),
      deno,
      options.redirect ?? "",
    ].join(" "),
  ].join("\n");
  // No core dumps anywhere, even when a fixture aborts on purpose.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'ulimit -c 0; exec unshare "$@"',
      "sh",
      ...UNSHARE,
      "sh",
      "-c",
      body,
    ],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL"); // --kill-child takes the namespace with it
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 30_000);
  try {
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    if (out.code === 99) throw new Error(`namespace mounts not private`);
    const line = stdout.split("\n").findLast((l) => l.startsWith("RESULT "));
    return {
      code: out.code,
      signal: out.signal,
      stdout,
      stderr,
      result: line ? JSON.parse(line.slice("RESULT ".length)) : null,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Shell commands (for {@link RunOptions.setup}) that build a throwaway root
 * in `dir` for {@link RunOptions.chroot}: a tmpfs with empty `/dev`, `/run`
 * and `/tmp`, read-only binds of `/usr` (plus `/bin`, `/lib`… as on the host)
 * and of this repository, and a fresh /proc (or, with `proc`, an empty
 * /proc directory, none, or a `decoy`: a tmpfs holding only `self/`, which
 * passes for procfs but lists no process).
 * Nothing the fixture does there
 * can write to the host's file systems; run with `DENO_DIR=/tmp/deno`.
 */
export function isolatedRootSetup(
  dir: string,
  { proc = "mounted" }: {
    proc?: "mounted" | "empty" | "absent" | "decoy";
  } = {},
): string {
  const repo = REPO_ROOT.replace(/\/$/, "");
  const r = sh(dir);
  // `from` is a shell word: sh("/usr") or "\"$d\"".
  const bindRo = (from: string) =>
    `mkdir -p ${r}${from} && mount --bind ${from} ${r}${from} && ` +
    `mount -o remount,bind,ro ${r}${from}`;
  return [
    `mount -t tmpfs -o mode=0755 nitro-test-root ${r}`,
    `mkdir -p ${r}/dev ${r}/run ${r}/tmp && chmod 1777 ${r}/tmp`,
    proc === "absent" ? ":" : `mkdir ${r}/proc`,
    bindRo(sh("/usr")),
    `for d in /bin /lib /lib64 /sbin; do`,
    `  if [ -L "$d" ]; then ln -s "$(readlink "$d")" ${r}"$d";`,
    `  elif [ -d "$d" ]; then ${bindRo(`"$d"`)}; fi`,
    `done`,
    bindRo(sh(repo)),
    proc === "mounted" ? `mount -t proc proc ${r}/proc` : ":",
    proc === "decoy"
      ? `mount -t tmpfs nitro-test-decoy ${r}/proc && mkdir ${r}/proc/self`
      : ":",
  ].join("\n");
}

/** Print the result line a test parses (fixtures call this). */
export function report(result: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/** The host's mount table, to show a test left it alone. */
export function hostMounts(): string {
  return Deno.readTextFileSync("/proc/self/mountinfo");
}
