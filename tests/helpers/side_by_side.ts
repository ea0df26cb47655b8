/**
 * Running the same service directory under this project's nitro and under C
 * nitro (built by c_nitro.ts), each with its own nitroctl, its own socket
 * and a datagram listener in its notify directory: what the wire tests and
 * the differential suite (tests/diff/) drive.
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import { REPO_ROOT } from "./common.ts";
import { type CNitro, cNitro, isBuilt } from "./c_nitro.ts";
import {
  collect,
  descendantsOf,
  eventually,
  nitroctlArgs,
  type ServiceFiles,
  withOnlyStdio,
  writeServices,
} from "./nitro.ts";

/** Which nitro. */
export type Flavour = "ours" | "c";

/** The nine states by wire number (DOWN is 1). */
const STATE_NAMES = [
  "DOWN",
  "SETUP",
  "STARTING",
  "UP",
  "ONESHOT",
  "SHUTDOWN",
  "RESTART",
  "FATAL",
  "DELAY",
];

/** A packet from the notify directory as `NAME STATE` (or `bad …`). */
export function decodePacket(bytes: Uint8Array): string {
  const len = bytes[0] | (bytes[1] << 8);
  const state = STATE_NAMES[bytes[2] - 1];
  if (bytes.length !== 3 + len || state === undefined) {
    return `bad ${Array.from(bytes).join(",")}`;
  }
  return `${new TextDecoder().decode(bytes.subarray(3))} ${state}`;
}

/** A datagram socket bound in a notify directory, collecting what comes. */
export class Listener {
  readonly packets: string[] = [];
  readonly raw: Uint8Array[] = [];
  #conn: Deno.DatagramConn;
  #done: Promise<void>;

  constructor(readonly path: string) {
    const conn = Deno.listenDatagram({ transport: "unixpacket", path });
    this.#conn = conn;
    this.#done = (async () => {
      try {
        while (true) {
          const [bytes] = await conn.receive();
          this.raw.push(bytes);
          this.packets.push(decodePacket(bytes));
        }
      } catch {
        // Closed.
      }
    })();
  }

  /** The packets about `name`, `STATE` each. */
  of(name: string): string[] {
    return this.packets.filter((p) => p.startsWith(`${name} `)).map((p) =>
      p.slice(name.length + 1)
    );
  }

  /** Wait until `name` has had `count` packets. */
  async count(name: string, count: number, ms = 15_000): Promise<string[]> {
    await eventually(
      () => this.of(name).length >= count,
      ms,
      () => `${count} packets of ${name}, have ${this.of(name).join(" ")}`,
    );
    return this.of(name);
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
    await this.#done;
    try {
      Deno.removeSync(this.path);
    } catch {
      // nitro removed it.
    }
  }
}

/** What one nitroctl run gave. */
export interface CtlOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** A nitroctl left running (see {@link Program.follow}). */
export interface Following {
  /** What it printed so far. */
  readonly stdout: string;
  /** Interrupt it (SIGINT) and wait for its end. */
  stop(): Promise<CtlOutput>;
  /** Wait for it to end by itself; killed after `ms` (a failure shows). */
  ended(ms?: number): Promise<CtlOutput>;
}

/** One nitro under test, of either flavour. */
export class Program {
  readonly sock: string;
  readonly dir: string;
  readonly notifyDir: string;
  #child: Deno.ChildProcess | null = null;
  #stdout = "";
  #stderr = "";
  #reading: { done: Promise<void>; cancel: () => void }[] = [];
  #listeners: Listener[] = [];
  #followers: Deno.ChildProcess[] = [];
  status: Deno.CommandStatus | null = null;

  private constructor(
    readonly flavour: Flavour,
    readonly root: string,
    readonly c: CNitro | null,
  ) {
    this.dir = join(root, "sv");
    this.sock = join(root, "run", "nitro.sock");
    this.notifyDir = join(root, "run", "notify");
    Deno.mkdirSync(this.dir);
    // Made before nitro starts, as a harness that listens from boot does:
    // 0700, nitro's uid, as nitro would make it.
    Deno.mkdirSync(this.notifyDir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(join(root, "run"), 0o700);
  }

  /** A program in a fresh temporary directory, services written. */
  static async create(
    flavour: Flavour,
    services: Record<string, ServiceFiles | { link: string }>,
  ): Promise<Program> {
    let c: CNitro | null = null;
    if (flavour === "c") {
      const built = await cNitro();
      if (!isBuilt(built)) throw new Error(built.reason);
      c = built;
    }
    const root = await Deno.makeTempDir({ prefix: `wire-${flavour}-` });
    const p = new Program(flavour, root, c);
    writeServices(p.dir, services);
    return p;
  }

  /** The environment of nitro, nitroctl and the services. */
  env(): Record<string, string> {
    return {
      ...RUN_ENV,
      NITRO_SOCK: this.sock,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    };
  }

  /** Bind a listener named `file` (`ALL,x`, `web,x`) in the notify dir. */
  listen(file = "ALL,test"): Listener {
    const l = new Listener(join(this.notifyDir, file));
    this.#listeners.push(l);
    return l;
  }

  /** Start nitro on the service directory; resolves once it answers. */
  async start(): Promise<void> {
    const argv = this.flavour === "c" ? [this.c!.nitro, this.dir] : [
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMISSIONS.nitro,
      join(REPO_ROOT, "cli/nitro.ts"),
      this.dir,
    ];
    const [cmd, args] = withOnlyStdio(argv);
    this.#child = new Deno.Command(cmd, {
      args,
      env: this.env(),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#reading = [
      collect(this.#child.stdout, (s) => this.#stdout += s),
      collect(this.#child.stderr, (s) => this.#stderr += s),
    ];
    this.#child.status.then((s) => this.status = s);
    await eventually(
      async () => {
        if (this.status !== null) {
          throw new Error(`${this.flavour} nitro exited:\n${this.#stderr}`);
        }
        return (await this.ctl(["list"])).code === 0;
      },
      20_000,
      () => `${this.flavour} nitro to answer:\n${this.#stderr}`,
    );
  }

  get pid(): number {
    return this.#child!.pid;
  }

  /** nitro's console (its stderr) so far. */
  get console(): string {
    return this.#stderr;
  }

  /** nitro's stdout (services without a logger write there). */
  get stdout(): string {
    return this.#stdout;
  }

  /** Run this flavour's nitroctl. */
  async ctl(
    args: string[],
    { cwd }: { cwd?: string } = {},
  ): Promise<CtlOutput> {
    const [cmd, argv] = this.flavour === "c"
      ? [this.c!.nitroctl, args]
      : [Deno.execPath(), nitroctlArgs(args)];
    // A wait that never ends is a finding, not a hung test: SIGKILL at 20 s.
    const out = await new Deno.Command(cmd, {
      args: argv,
      cwd,
      // C nitroctl takes `$PWD` as the working directory when it is one.
      env: cwd === undefined ? this.env() : { ...this.env(), PWD: cwd },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  }

  /**
   * Start this flavour's nitroctl and let it run (`events`): its stdout
   * is read as it comes; `stop` interrupts it as Ctrl-C does.
   */
  follow(args: string[]): Following {
    const [cmd, argv] = this.flavour === "c"
      ? [this.c!.nitroctl, args]
      : [Deno.execPath(), nitroctlArgs(args)];
    const child = new Deno.Command(cmd, {
      args: argv,
      env: this.env(),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#followers.push(child);
    let stdout = "";
    let stderr = "";
    const reading = [
      collect(child.stdout, (s) => stdout += s),
      collect(child.stderr, (s) => stderr += s),
    ];
    return {
      get stdout() {
        return stdout;
      },
      async stop(): Promise<CtlOutput> {
        try {
          child.kill("SIGINT");
        } catch {
          // Ended already.
        }
        return await this.ended();
      },
      async ended(ms = 15_000): Promise<CtlOutput> {
        const limit = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // Ended meanwhile.
          }
        }, ms);
        const { code } = await child.status.finally(() => clearTimeout(limit));
        await Promise.all(reading.map((r) => r.done));
        return { code, stdout, stderr };
      },
    };
  }

  /** SIGTERM nitro and wait for its exit (bounded). */
  async terminate(ms = 20_000): Promise<Deno.CommandStatus> {
    this.#child!.kill("SIGTERM");
    return await this.exited(ms);
  }

  /** Wait for nitro's exit (bounded) and the end of its output. */
  async exited(ms = 20_000): Promise<Deno.CommandStatus> {
    await eventually(() => this.status !== null, ms, "nitro to exit");
    // A process nitro left behind may hold its output open: not for ever.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(this.#reading.map((r) => r.done)),
      new Promise((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    return this.status!;
  }

  /** Stop everything it started and remove its directory. */
  async cleanup(): Promise<void> {
    for (const l of this.#listeners) await l.close();
    for (const child of this.#followers) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Ended already.
      }
      await child.status;
    }
    if (this.#child && this.status === null) {
      try {
        this.#child.kill("SIGSTOP");
      } catch {
        // Gone.
      }
      const descendants = descendantsOf(this.#child.pid);
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await this.#child.status;
      for (const pid of descendants) {
        for (const target of [-pid, pid]) {
          try {
            Deno.kill(target, "SIGKILL");
          } catch {
            // Not a group, or gone.
          }
        }
      }
    }
    for (const r of this.#reading) r.cancel();
    await Promise.all(this.#reading.map((r) => r.done));
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

/** Why C nitro cannot take part here, or null when it can. */
export async function cMissing(): Promise<string | null> {
  const c = await cNitro();
  return isBuilt(c) ? null : c.reason;
}
