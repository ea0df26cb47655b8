/**
 * The readiness pipe of a `run` with `notification-fd` N: fd N of
 * the service is the write end of a real pipe whose read end nitro reads on
 * its event loop. The first newline makes the service UP.
 *
 * How the pipe gets to fd N, with only `Deno.Command` (piped/inherit/null,
 * fds 0-2): nitro starts a *relay*, a `/bin/sh` that waits in `read` on its
 * stdin, with its stdout piped to nitro. The service's shell prologue opens
 * `/proc/RELAY/fd/1` for writing at fd N - which opens that very pipe - and
 * then kills the relay: from then on the service holds the pipe's only write
 * end. So fd N is `S_ISFIFO`, `echo >&N` and `echo > /dev/fd/N` both work,
 * nothing else of nitro's leaks, and nitro's reads are ordinary pipe reads on
 * its event loop (no thread of Deno's small blocking pool is held, as a read
 * of a FIFO file would; no polling). The relay lives only until the service
 * has opened the pipe; if it never does, nitro's {@link ReadinessPipe.close}
 * ends the relay by closing its stdin (so a relay also ends with nitro).
 * Nothing is created in the file system.
 *
 * After the first newline nitro closes its read end, as C nitro and s6 do:
 * a later write into fd N fails with EPIPE. So it does after
 * {@link MAX_BYTES_BEFORE_NEWLINE} bytes without one: a service writing
 * endlessly into fd N (`cat /dev/zero >&3`) would otherwise keep nitro busy
 * reading for as long as it runs. The service then stays STARTING until
 * `nitroctl ready`.
 *
 * @module
 */

import type { Children } from "./children.ts";

/** Bytes read without a newline after which nitro stops reading fd N. */
export const MAX_BYTES_BEFORE_NEWLINE = 4096;

/** What the relay runs: wait until nitro closes its stdin (or is gone). */
const RELAY = "read _";

/** A readiness pipe, waiting for its first newline. */
export class ReadinessPipe {
  /** Pid of the relay whose stdout is the pipe. */
  readonly relay: number;
  #child: Deno.ChildProcess;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #onReady: () => void;
  #closed = false;

  /**
   * Create the pipe; `onReady` is called at most once, before `close()`.
   * The relay is one of nitro's `children` until it ends.
   */
  constructor(onReady: () => void, children: Children) {
    this.#onReady = onReady;
    this.#child = new Deno.Command("/bin/sh", {
      args: ["-c", RELAY],
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      // Not detached: setsid would make the spawn take the slow fork path,
      // and the relay lives only until the service has opened the pipe.
    }).spawn();
    this.relay = this.#child.pid;
    // Its status is of no interest: it ends when killed or told to.
    void children.track(this.#child);
    this.#reader = this.#child.stdout.getReader();
    void this.#watch();
  }

  /** The path the service opens for writing at fd N. */
  get path(): string {
    return `/proc/${this.relay}/fd/1`;
  }

  /** Stop reading: after this, `onReady` is never called. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Pending reads end with `done`; the read end of the pipe is closed.
    void this.#reader.cancel();
    // EOF on the relay's stdin ends a relay the service did not kill.
    this.#child.stdin.close().catch((err) => {
      // The relay is gone already: nothing reads its stdin any more.
      if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
    });
  }

  async #watch(): Promise<void> {
    let ignored = 0;
    while (!this.#closed) {
      const { done, value } = await this.#reader.read();
      if (done || this.#closed) break;
      // Only a newline means ready; other bytes are ignored, up to a bound.
      if (value.includes(0x0a)) {
        this.#onReady();
        break;
      }
      ignored += value.length;
      if (ignored > MAX_BYTES_BEFORE_NEWLINE) break;
    }
    this.close();
  }
}
