/**
 * Extra helpers for the daemon integration tests (tests/e2e/daemon_*_test.ts):
 * a nitroctl that service scripts can call, raw socket requests, an event
 * recorder, and running nitro to its end for the error paths.
 *
 * @module
 */

import { join } from "node:path";
import { RUN_ENV } from "../../ci/permissions.ts";
import type { ServiceEvent } from "../../src/protocol.ts";
import {
  eventually,
  type Nitro,
  nitroArgs,
  nitroctlArgs,
  withOnlyStdio,
} from "./nitro.ts";

import { decodeOutput, procStat } from "./common.ts";

/**
 * Write an executable `nitroctl` wrapper into `n.root/bin` and return its
 * path, for service scripts to call (they inherit nitro's NITRO_SOCK).
 */
export function ctlScript(n: Nitro): string {
  const bin = join(n.root, "bin");
  Deno.mkdirSync(bin, { recursive: true });
  const path = join(bin, "nitroctl");
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh\nexec ${Deno.execPath()} ${nitroctlArgs([]).join(" ")} "$@"\n`,
  );
  Deno.chmodSync(path, 0o755);
  return path;
}

export { readOr, sh } from "./common.ts";

/** Connect to nitro's socket. */
export function connect(sock: string): Promise<Deno.UnixConn> {
  return Deno.connect({ transport: "unix", path: sock });
}

/** Reads newline-terminated JSON lines from a connection. */
export class LineReader {
  #buf = "";
  #dec = new TextDecoder();
  #eof = false;
  constructor(readonly conn: Deno.Conn) {}

  /** The next line parsed, or null at end of stream (bounded by `ms`). */
  async next(ms = 10_000): Promise<Record<string, unknown> | null> {
    const deadline = Date.now() + ms;
    while (true) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return JSON.parse(line);
      }
      if (this.#eof) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out reading a line");
      const chunk = new Uint8Array(65536);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(chunk).catch(() => null),
        new Promise<"timeout">((r) => timer = setTimeout(r, left, "timeout")),
      ]);
      clearTimeout(timer);
      if (n === "timeout") throw new Error("timed out reading a line");
      if (n === null) {
        this.#eof = true;
        continue;
      }
      this.#buf += this.#dec.decode(chunk.subarray(0, n), { stream: true });
    }
  }
}

/** Write all of `text` to `conn`. */
export async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Send one request on a fresh connection and return the first answer. */
export async function request(
  sock: string,
  req: unknown,
): Promise<Record<string, unknown>> {
  const conn = await connect(sock);
  try {
    await writeAll(conn, JSON.stringify(req) + "\n");
    const line = await new LineReader(conn).next();
    if (line === null) throw new Error("connection closed without an answer");
    return line;
  } finally {
    conn.close();
  }
}

/** Records every event nitro reports, through the socket's `events` op. */
export class EventLog {
  /**
   * The changes: every event but an announcement alone (one that repeats
   * the state its service is in, as a request's announcement does).
   */
  readonly events: ServiceEvent[] = [];
  /** Every event, announcements alone included. */
  readonly all: ServiceEvent[] = [];
  #last = new Map<string, string>();
  #conn: Deno.UnixConn;
  #done: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    const reader = new LineReader(conn);
    this.#done = (async () => {
      while (true) {
        let line;
        try {
          line = await reader.next(3_600_000);
        } catch {
          return;
        }
        if (line === null) return;
        if (line.event) this.#record(line.event as ServiceEvent);
      }
    })();
  }

  #record(event: ServiceEvent): void {
    this.all.push(event);
    if (this.#last.get(event.name) === event.state) return;
    this.#last.set(event.name, event.state);
    this.events.push(event);
  }

  /** Start recording; with `replay`, the retained history comes first. */
  static async open(sock: string, replay = true): Promise<EventLog> {
    const conn = await connect(sock);
    await writeAll(conn, JSON.stringify({ op: "events", replay }) + "\n");
    return new EventLog(conn);
  }

  /** The events of one service, in order. */
  of(name: string): ServiceEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  /** The states one service went through, in order. */
  states(name: string): string[] {
    return this.of(name).map((e) => e.state);
  }

  /** Wait until an event matches (bounded by `ms`); returns it. */
  async waitFor(
    pred: (e: ServiceEvent) => boolean,
    ms = 10_000,
    what = "event",
  ): Promise<ServiceEvent> {
    await eventually(
      () => this.events.some(pred),
      ms,
      () =>
        `${what}; events: ${
          JSON.stringify(this.events.map((e) => `${e.state} ${e.name}`))
        }`,
    );
    return this.events.find(pred)!;
  }

  /** Time (nitro's monotonic ms) of the `nth` (0-based) `state` of `name`. */
  time(name: string, state: string, nth = 0): number {
    const list = this.of(name).filter((e) => e.state === state);
    if (list.length <= nth) {
      throw new Error(
        `no ${state} #${nth} of ${name} in ${this.states(name).join(" ")}`,
      );
    }
    return list[nth].time;
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed by nitro.
    }
    await this.#done;
  }
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state !== undefined && state !== "Z";
}

/** The one-letter process state of `pid` from /proc (R, S, T, Z, …). */
export function procState(pid: number): string {
  const stat = procStat(pid);
  if (stat === null) throw new Error(`no process ${pid}`);
  return stat.state;
}

/** Result of running nitro to its end. */
export interface NitroRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `nitro ARGS` with only NITRO_SOCK and PATH in its environment, until it
 * exits (SIGKILLed after `ms`, which fails the run).
 */
export async function runNitro(
  args: string[],
  sock: string,
  ms = 15_000,
): Promise<NitroRun> {
  const child = spawnNitro(args, sock, "piped");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, ms);
  try {
    const out = await child.output();
    if (timedOut) throw new Error(`nitro ${args.join(" ")} did not exit`);
    return decodeOutput(out);
  } finally {
    clearTimeout(timer);
  }
}

/** Spawn nitro directly (no harness): for socket tests. */
export function spawnNitro(
  args: string[],
  sock: string,
  stdio: "piped" | "null" = "null",
): Deno.ChildProcess {
  const [cmd, argv] = withOnlyStdio([Deno.execPath(), ...nitroArgs(args)]);
  return new Deno.Command(cmd, {
    args: argv,
    env: { ...RUN_ENV, NITRO_SOCK: sock, PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
    stdin: "null",
    stdout: stdio,
    stderr: stdio,
  }).spawn();
}

/** SIGKILL each child still running, and wait until all have ended. */
export async function killChildren(
  children: readonly Deno.ChildProcess[],
): Promise<void> {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await c.status;
  }
}

/** Wait for a promise, failing after `ms`. */
export async function within<T>(
  p: Promise<T>,
  ms: number,
  what = "promise",
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}`)),
          ms,
        )
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Spawn the real nitroctl for `n` with piped stdout (for `events`). */
export function spawnCtl(n: Nitro, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: nitroctlArgs(args),
    env: n.env(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a child's stdout as text lines. */
export class Lines {
  text = "";
  #done: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    this.#done = (async () => {
      for await (const chunk of stream) {
        this.text += dec.decode(chunk, { stream: true });
      }
    })();
  }
  get lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
  /** Wait until the output holds a line equal to `line`. */
  waitFor(line: string, ms = 10_000): Promise<void> {
    return eventually(
      () => this.lines.includes(line),
      ms,
      () => `line ${JSON.stringify(line)} in:\n${this.text}`,
    );
  }
  done(): Promise<void> {
    return this.#done;
  }
}
