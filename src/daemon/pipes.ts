/**
 * Log pipes: one FIFO per logger, created in nitro's runtime directory and
 * held open read-write by nitro for as long as the logger exists. Holding it
 * is what makes the pipe outlive its writers and its reader: a restarted
 * logger finds the unread data still there, and a writer never sees EPIPE
 * while its logger is down — it fills the pipe and then blocks.
 *
 * @module
 */

import { join } from "node:path";

/** The FIFOs of one nitro, in one private directory. */
export class LogPipes {
  #open = new Map<string, Deno.FsFile>();

  /** `dir` must be private to this nitro (it is created, mode 0700). */
  constructor(readonly dir: string) {}

  /** Create the runtime directory, clearing what a crashed nitro left. */
  init(): void {
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // Nothing left behind.
    }
    Deno.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Path of `logger`'s pipe, creating and holding it if needed. */
  ensure(logger: string): string {
    const path = join(this.dir, logger);
    if (this.#open.has(logger)) return path;
    try {
      Deno.removeSync(path);
    } catch {
      // Not there: the usual case.
    }
    const made = new Deno.Command("mkfifo", {
      args: ["-m", "0600", path],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!made.success) {
      throw new Error(
        `cannot create log pipe ${path}: ${
          new TextDecoder().decode(made.stderr).trim()
        }`,
      );
    }
    // Read-write: does not block, and keeps the pipe (and its data) alive.
    this.#open.set(logger, Deno.openSync(path, { read: true, write: true }));
    return path;
  }

  /** Whether `logger` has a pipe. */
  has(logger: string): boolean {
    return this.#open.has(logger);
  }

  /** Close and remove `logger`'s pipe (its unread data is dropped). */
  drop(logger: string): void {
    const file = this.#open.get(logger);
    if (file === undefined) return;
    file.close();
    this.#open.delete(logger);
    try {
      Deno.removeSync(join(this.dir, logger));
    } catch {
      // Already gone.
    }
  }

  /** Close and remove every pipe and the directory. */
  closeAll(): void {
    for (const logger of [...this.#open.keys()]) this.drop(logger);
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // Already gone.
    }
  }
}
