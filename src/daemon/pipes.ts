/**
 * Log pipes: one FIFO per logger, created in nitro's private runtime
 * directory (src/daemon/runtime_dir.ts) and held open read-write by nitro for
 * as long as the logger exists. Holding it is what makes the pipe outlive its
 * writers and its reader: a restarted logger finds the unread data still
 * there, and a writer never sees EPIPE while its logger is down - it fills the
 * pipe and then blocks.
 *
 * @module
 */

import type { RuntimeDir } from "./runtime_dir.ts";

/** The FIFOs of one nitro, in its private runtime directory. */
export class LogPipes {
  /** Logger -> nitro's read-write hold on its FIFO (null once released). */
  #pipes = new Map<string, Deno.FsFile | null>();

  /** `runtime`: nitro's runtime directory, opened (and cleaned) already. */
  constructor(readonly runtime: RuntimeDir) {}

  /** Path of `logger`'s pipe, creating and holding it if needed. */
  ensure(logger: string): string {
    const held = this.#pipes.get(logger);
    const path = this.runtime.pathOf(logger);
    // A service opens the path, not nitro's hold: the directory must still
    // be nitro's own, or the path may lead to somebody else's file.
    this.runtime.verify();
    if (held) return path;
    // Released (at shutdown) and wanted again: hold the same FIFO, so the
    // logger still reading it keeps its data.
    if (held === null && this.runtime.isFifo(logger)) {
      this.#pipes.set(logger, open(path));
      return path;
    }
    this.runtime.makeFifo(logger);
    this.#pipes.set(logger, open(path));
    return path;
  }

  /** Whether `logger` has a pipe (held or released). */
  has(logger: string): boolean {
    return this.#pipes.has(logger);
  }

  /**
   * Let go of nitro's hold on `logger`'s pipe, keeping the FIFO: once every
   * writer has closed it too, the logger reads EOF (and the data before it).
   */
  release(logger: string): void {
    const file = this.#pipes.get(logger);
    if (!file) return;
    file.close();
    this.#pipes.set(logger, null);
  }

  /** Close and remove `logger`'s pipe (its unread data is dropped). */
  drop(logger: string): void {
    if (!this.#pipes.has(logger)) return;
    this.#pipes.get(logger)?.close();
    this.#pipes.delete(logger);
    this.runtime.removeFifo(logger);
  }

  /** Close and remove every pipe (the directory stays until nitro exits). */
  closeAll(): void {
    for (const logger of [...this.#pipes.keys()]) this.drop(logger);
  }
}

/** Read-write: does not block, and keeps the pipe (and its data) alive. */
function open(path: string): Deno.FsFile {
  return Deno.openSync(path, { read: true, write: true });
}
