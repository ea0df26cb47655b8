/**
 * The container engine the containertest drives: podman (with a runtime
 * that works here, and its own containers.conf) or docker. Everything it
 * creates is named with one prefix and removed by {@link Engine.cleanUp}.
 *
 * @module
 */

import { join } from "node:path";

/** The engine cannot run containers here; the message says why. */
export class EngineError extends Error {
  /** `message` says what was tried and what failed. */
  constructor(message: string) {
    super(message);
    this.name = "EngineError";
  }
}

/** How a finished command ended. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to its end; a missing program is exit 127. */
export async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<Result> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } catch (err) {
    return { code: 127, stdout: "", stderr: (err as Error).message };
  }
}

/** The first line of a command's complaint, for a one-line reason. Pure. */
export function firstLine(r: Result): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split("\n")[0];
  return text || `exit ${r.code}`;
}

/**
 * podman's configuration for the test: the runtime's default ulimits
 * cannot be raised on every machine (RLIMIT_NPROC, RLIMIT_NOFILE), so the
 * containers keep the test's own.
 */
export const CONTAINERS_CONF = "[containers]\ndefault_ulimits = []\n";

/** One line a running process printed, with when it arrived. */
export interface Line {
  /** Milliseconds since the process was started. */
  ms: number;
  text: string;
}

/**
 * A foreground `podman run` (or `docker run`): the container's output
 * arrives on its pipes, line by line, and its exit code is the container's.
 */
export class Running {
  /** Every line so far, stdout and stderr interleaved as they arrived. */
  readonly lines: Line[] = [];
  /** Resolves with the container's exit code once `run` has ended. */
  readonly exited: Promise<number>;
  readonly #start = performance.now();
  #waiters: { re: RegExp; from: number; resolve: (l: Line) => void }[] = [];
  #child: Deno.ChildProcess;

  constructor(cmd: string, args: string[], env: Record<string, string>) {
    this.#child = new Deno.Command(cmd, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reading = [this.#child.stdout, this.#child.stderr].map((s) =>
      this.#read(s)
    );
    this.exited = Promise.all([this.#child.status, ...reading]).then((
      [status],
    ) => status.code);
  }

  /** Milliseconds since the start. */
  now(): number {
    return performance.now() - this.#start;
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        this.#add(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
    if (rest) this.#add(rest);
  }

  #add(text: string): void {
    const line = { ms: this.now(), text };
    this.lines.push(line);
    const index = this.lines.length - 1;
    this.#waiters = this.#waiters.filter((w) => {
      if (index < w.from || !w.re.test(text)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Lines matching `re`. */
  matching(re: RegExp): Line[] {
    return this.lines.filter((l) => re.test(l.text));
  }

  /**
   * The first line matching `re` from line index `from` on, as soon as it
   * arrives; null if none has after `ms` or when the output ends.
   */
  waitFor(re: RegExp, ms: number, from = 0): Promise<Line | null> {
    const seen = this.lines.slice(from).find((l) => re.test(l.text));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = (l: Line | null) => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(l);
      };
      const waiter = { re, from, resolve: done };
      this.#waiters.push(waiter);
      timer = setTimeout(() => done(null), ms);
      this.exited.then(() => done(null));
    });
  }

  /** Stop waiting for the process (the engine removes the container). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** What the engine created, to remove at the end. */
interface Created {
  containers: Set<string>;
  pods: Set<string>;
  images: Set<string>;
}

/** A container engine, ready to build and run. */
export class Engine {
  readonly #created: Created = {
    containers: new Set(),
    pods: new Set(),
    images: new Set(),
  };

  constructor(
    /** `podman` or `docker`. */
    readonly kind: "podman" | "docker",
    /** Global options before the subcommand, e.g. `--runtime runc`. */
    readonly global: string[],
    /** Environment of every engine command (CONTAINERS_CONF). */
    readonly env: Record<string, string>,
    /** The prefix of every name the test gives. */
    readonly prefix: string,
  ) {}

  /** The command line words of the engine, for messages and docs. */
  get command(): string {
    return [this.kind, ...this.global].join(" ");
  }

  /** Run one engine command to its end. */
  run(args: string[]): Promise<Result> {
    return run(this.kind, [...this.global, ...args], this.env);
  }

  /** Start `run` in the foreground; its output arrives line by line. */
  start(args: string[]): Running {
    return new Running(this.kind, [...this.global, ...args], this.env);
  }

  /** Note a container, pod or image (by name or ID) to remove at the end. */
  created(what: keyof Created, name: string): void {
    this.#created[what].add(name);
  }

  /** A container's exit code as the engine recorded it, or null. */
  async exitCode(name: string): Promise<number | null> {
    const r = await this.run([
      "inspect",
      "--format",
      "{{.State.ExitCode}}",
      name,
    ]);
    return r.code === 0 ? Number(r.stdout.trim()) : null;
  }

  /** Remove what was created: containers, pods, then images. */
  async cleanUp(): Promise<string[]> {
    const problems: string[] = [];
    const force = this.kind === "podman" ? ["-f", "-t", "0"] : ["-f"];
    for (const name of this.#created.containers) {
      const r = await this.run(["rm", ...force, name]);
      if (r.code !== 0 && !/no such container/i.test(r.stderr)) {
        problems.push(`rm ${name}: ${firstLine(r)}`);
      }
    }
    for (const name of this.#created.pods) {
      const r = await this.run(["pod", "rm", ...force, name]);
      if (r.code !== 0 && !/no such pod/i.test(r.stderr)) {
        problems.push(`pod rm ${name}: ${firstLine(r)}`);
      }
    }
    for (const name of this.#created.images) {
      const r = await this.run(["rmi", "-f", name]);
      if (r.code !== 0 && !/image not known|no such image/i.test(r.stderr)) {
        problems.push(`rmi ${name}: ${firstLine(r)}`);
      }
    }
    return problems;
  }
}

/**
 * Find an engine that runs containers here: podman with the first runtime
 * that runs `probeRoot` (a root file system with /bin/busybox), else docker
 * if its daemon answers. `work` holds the test's containers.conf. Throws
 * {@link EngineError} saying what was tried.
 */
export async function findEngine(
  work: string,
  probeRoot: string,
  prefix: string,
  log: (line: string) => void,
): Promise<Engine> {
  const tried: string[] = [];
  const podman = await run("podman", ["--version"]);
  if (podman.code === 0) {
    const conf = join(work, "containers.conf");
    await Deno.writeTextFile(conf, CONTAINERS_CONF);
    const env = { CONTAINERS_CONF: conf };
    // podman's default first, then each runtime by name.
    for (const runtime of [null, "runc", "crun"]) {
      const global = runtime ? ["--runtime", runtime] : [];
      const r = await run("podman", [
        ...global,
        "run",
        "--rm",
        "--network",
        "none",
        "--rootfs",
        `${probeRoot}:O`,
        "/bin/busybox",
        "true",
      ], env);
      let name = runtime ?? "podman's default runtime";
      if (r.code === 0) {
        if (!runtime) {
          const info = await run("podman", [
            "info",
            "--format",
            "{{.Host.OCIRuntime.Name}}",
          ], env);
          if (info.code === 0) name = `${info.stdout.trim()} (the default)`;
        }
        for (const t of tried) log(`containertest: ${t}`);
        log(`containertest: ${podman.stdout.trim()}, runtime: ${name}`);
        return new Engine("podman", global, env, prefix);
      }
      tried.push(`${name} cannot run a container: ${firstLine(r)}`);
    }
  } else {
    tried.push(
      podman.code === 127
        ? "podman is not installed (Debian: apt-get install podman runc catatonit)"
        : `podman: ${firstLine(podman)}`,
    );
  }
  const docker = await run("docker", [
    "info",
    "--format",
    "{{.ServerVersion}}",
  ]);
  if (docker.code === 0) {
    for (const t of tried) log(`containertest: ${t}`);
    log(`containertest: docker ${docker.stdout.trim()}`);
    return new Engine("docker", [], {}, prefix);
  }
  tried.push(
    docker.code === 127
      ? "docker is not installed"
      : `docker: ${firstLine(docker)}`,
  );
  throw new EngineError(tried.join("; "));
}
