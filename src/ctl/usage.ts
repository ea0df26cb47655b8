/**
 * nitroctl's usage text. Loaded only when shown (a usage error, `--help`):
 * Deno pays a fixed cost for each module it loads, and most of nitroctl's
 * start-up beyond Deno's own is module loading.
 *
 * @module
 */

/** The text printed on a usage error (to stderr) or for `--help`. */
export const USAGE =
  `usage: nitroctl [-t SECONDS] [-v] [--json] [--force] COMMAND [SERVICE...]

commands (no command: list):
  list, l [SERVICE...]         one line per service
  status [SERVICE...]          what each service does and why: uptime,
                               last exit, restarts, logger, FATAL reason
  metrics                      figures for Prometheus (text format)
  info                         facts about nitro itself (numbers)
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
  check SERVICE...             exit 0 if every one named has a pid
  rescan, scan                 re-read the service directory
  events [--replay]            print state changes as they happen
  blame                        services by time from start to UP since boot
  plot                         the boot as an SVG picture: plot > boot.svg
  Shutdown | Reboot            bring the system down | reboot it

SERVICE may be a path to a service directory, such as '.'.

options:
  -t SECONDS   give up after SECONDS (exit 3); also --timeout
  -v           print the state of each waited-for service, then each change
  --json       machine-readable output
  --force      talk to a socket of another user (as root)
  --replay     with events: start with the retained history

exit status: 0 ok, 1 ended FATAL, no pid or no process to signal,
2 usage, 3 timeout, 111 no such service (the others are still served),
bad name, nitro unreachable or busy
`;
