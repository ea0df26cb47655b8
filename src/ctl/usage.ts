/**
 * nitroctl's usage text and the error that makes it show.
 *
 * @module
 */

/** The text printed on a usage error (to stderr) or for `--help`. */
export const USAGE =
  `usage: nitroctl [-t SECONDS] [-v] [--json] COMMAND [SERVICE...]

commands (no command: list):
  list, l [SERVICE...]         one line per service
  info                         facts about nitro itself
  up, u | down, d              request a state, do not wait
  start | stop | restart       ... and wait for UP | DOWN | UP again
  fast-start | fast-stop | fast-restart, r
                               ... and wait for STARTING | SHUTDOWN | RESTART
  wait-up | wait-down | wait-starting
                               wait without changing anything
  ready                        mark STARTING services UP
  pause cont hup alarm interrupt quit term kill 1 2
                               send a signal (first letter suffices)
  pidof                        print the pid of each service
  check                        exit 0 if every service has a pid
  rescan, scan                 re-read the service directory
  events [--replay]            print state changes as they happen
  Shutdown | Reboot            bring the system down | reboot it

SERVICE may be a path to a service directory, such as '.'.

options:
  -t SECONDS   give up after SECONDS (exit 3)
  -v           print each state change of the waited-for services
  --json       machine-readable output
  --replay     with events: start with the retained history

exit status: 0 ok, 1 ended FATAL or no pid, 2 usage, 3 timeout,
111 no such service, bad name or nitro unreachable
`;

/**
 * The command line is wrong: print the reason and {@link USAGE}, exit 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage.ts";
 * const e = new UsageError("unknown command: frob");
 * console.assert(e.message === "unknown command: frob");
 * ```
 */
export class UsageError extends Error {
  /** Make a usage error with the reason to print above the usage text. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
