/**
 * Logger wiring: which service a process writes into, and the
 * log pipes that connect them. The rules are the core's
 * (`src/core/logging.ts`); this module reads the `log` links and hands out
 * the pipes.
 *
 * @module
 */

import { loggerOf, readsLogPipe } from "../core/logging.ts";
import type { Entries } from "../config/scan.ts";
import { SYS } from "../config/names.ts";
import type { LogPipeStore, ServiceTree } from "./host.ts";
import type { Stream } from "./spawn.ts";

/** The log pipes of one nitro and what it knows of who logs where. */
export class LogWiring {
  readonly pipes: LogPipeStore;
  /** Services some service logs into, as of the last scan. */
  loggers: ReadonlySet<string> = new Set();
  /** Whether the `LOG@` template exists, as of the last scan. */
  hasLogTemplate = false;
  #tree: ServiceTree;
  #nitroStdout: Stream;

  /**
   * @param host where the pipes are and how `log` links are read.
   * @param opts.stdout whether nitro's own stdout can go to children.
   */
  constructor(
    host: { pipes: LogPipeStore; tree: ServiceTree },
    opts: { stdout: boolean },
  ) {
    this.pipes = host.pipes;
    this.#tree = host.tree;
    this.#nitroStdout = opts.stdout ? { kind: "inherit" } : { kind: "null" };
  }

  /**
   * The service `name`'s next process writes into, from its `log` link as
   * it is now (SYS has none), or null for nitro's own stdout. `hasLog`:
   * whether LOG exists; `entries`: what its directory holds, when known
   * (no `log` there: nothing to read).
   */
  loggerName(
    service: { name: string; param: string | null; dir: string },
    { hasLog, entries = null }: { hasLog: boolean; entries?: Entries | null },
  ): string | null {
    return loggerOf({
      name: service.name,
      param: service.param,
      link: service.name === SYS
        ? null
        : this.#tree.logLink(service.dir, entries),
      hasLogTemplate: this.hasLogTemplate,
      hasLog,
    });
  }

  /** stdin of a process of `name`: its log pipe if it is a logger. */
  stdin(name: string): Stream {
    return readsLogPipe(name, this.loggers) || this.pipes.has(name)
      ? { kind: "fifo", path: this.pipes.ensure(name) }
      : { kind: "null" };
  }

  /** stdout of a process writing into `logger` (null: nitro's stdout). */
  stdout(logger: string | null): Stream {
    return logger === null
      ? this.#nitroStdout
      : { kind: "fifo", path: this.pipes.ensure(logger) };
  }
}
