/**
 * One thread of Deno's blocking pool, kept for nitro for its whole life, so
 * that nitro never has to create a thread while it runs: under pid
 * exhaustion (a fork bomb in a pids cgroup, a container's `--pids-limit`)
 * it could not, and Deno ends the process when it cannot.
 *
 * Deno carries out file operations that may block (`Deno.stderr.write`,
 * `Deno.stat`, reads of files) on tokio's blocking pool. Its threads end
 * after 10 s without work. When none is left, the next such operation
 * creates one; if that fails (EAGAIN), tokio panics ("OS can't spawn worker
 * thread") and Deno exits with "Deno could not start: unable to create
 * worker threads". If at least one pool thread exists, a failed creation is
 * harmless: the work waits in the pool's queue for a thread to free up.
 *
 * So a read is kept parked on a FIFO that only nitro holds: the thread that
 * carries it out never ends. And after each blocking operation it starts,
 * nitro {@link ThreadReserve.kick}s: one byte into the FIFO (written on the
 * main thread, without the pool) ends the read, the freed thread takes the
 * queued work, and the read is parked again behind it. Outside exhaustion a
 * kick costs a pipe write and a read; nothing waits on a timer.
 *
 * The FIFO is made by mkfifo(1) in a private temporary directory ($TMPDIR
 * or /tmp, else /run or /dev/shm), opened read-write (which never blocks,
 * and never sees EOF) and unlinked at once: nothing is left behind.
 *
 * @example
 * ```ts ignore
 * import { ThreadReserve } from "./thread_reserve.ts";
 * const reserve = new ThreadReserve();
 * reserve.hold(); // at start, while threads can still be made
 * await reserve.run(() => Deno.stat("/etc/nitro"));
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { message } from "../errors.ts";
import { mkfifoPath } from "./runtime_dir.ts";

const KICK = new Uint8Array([1]);

/** A pool thread parked on a private FIFO, woken by {@link kick}. */
export class ThreadReserve {
  /**
   * Where its FIFO may be made, in order: undefined is $TMPDIR (or /tmp);
   * the others are the tmpfs an init has on a read-only root.
   */
  readonly #parents: readonly (string | undefined)[];
  #fifo: Deno.FsFile | null = null;
  /** A byte is on its way to the parked read: no need for another. */
  #kicked = false;
  #closing = false;
  #parked: Promise<void> = Promise.resolve();

  constructor(
    opts: { parents?: readonly (string | undefined)[] } = {},
  ) {
    this.#parents = opts.parents ?? [undefined, "/run", "/dev/shm"];
  }

  /** Whether a thread is held. */
  get held(): boolean {
    return this.#fifo !== null;
  }

  /**
   * Park a pool thread; call at start, while threads can still be made.
   * Returns why it could not (nitro then runs without a reserve), or null.
   */
  hold(): string | null {
    if (this.#fifo !== null) return null;
    let dir: string | undefined;
    let why = "";
    for (const parent of this.#parents) {
      try {
        dir = Deno.makeTempDirSync({ dir: parent, prefix: "nitro-reserve-" });
        break;
      } catch (err) {
        why ||= message(err);
      }
    }
    if (dir === undefined) return `no temporary directory for its FIFO: ${why}`;
    try {
      const path = join(dir, "fifo");
      const made = new Deno.Command(mkfifoPath(), {
        args: ["-m", "0600", "--", path],
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).outputSync();
      if (!made.success) return `mkfifo ${path} failed`;
      const fifo = Deno.openSync(path, { read: true, write: true });
      if (!fifo.statSync().isFifo) {
        fifo.close();
        return `${path} is not the FIFO just made`;
      }
      this.#fifo = fifo;
    } catch (err) {
      return message(err);
    } finally {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Nothing to leave behind that matters: the directory is private.
      }
    }
    this.#closing = false;
    this.#parked = this.#park(this.#fifo);
    return null;
  }

  /** Let work queued behind the parked read run on its thread. */
  kick(): void {
    if (this.#fifo === null || this.#kicked) return;
    this.#kicked = true;
    try {
      this.#fifo.writeSync(KICK);
    } catch {
      // Closed meanwhile.
    }
  }

  /**
   * Start a blocking operation and kick: under pid exhaustion it runs on the
   * reserved thread instead of waiting for a new one.
   */
  run<T>(start: () => Promise<T>): Promise<T> {
    const work = start();
    this.kick();
    return work;
  }

  /** `writer`, with every write started through {@link run}. */
  sink(writer: Writer): Writer {
    return { write: (bytes) => this.run(() => writer.write(bytes)) };
  }

  /** Give the thread back (for tests; the daemon holds it until it exits). */
  async close(): Promise<void> {
    if (this.#fifo === null) return;
    this.#closing = true;
    this.#kicked = false;
    this.kick();
    await this.#parked;
  }

  async #park(fifo: Deno.FsFile): Promise<void> {
    const buffer = new Uint8Array(64);
    while (!this.#closing) {
      try {
        await fifo.read(buffer);
      } catch {
        break;
      }
      this.#kicked = false;
    }
    fifo.close();
    this.#fifo = null;
  }
}

/** Something that writes bytes (nitro's stderr). */
export interface Writer {
  write(bytes: Uint8Array): Promise<number>;
}
