/**
 * `nitroctl metrics`: nitro's figures in the Prometheus text exposition
 * format (version 0.0.4), as node_exporter's textfile collector and any
 * scraper read it. No timestamps (the textfile collector refuses them).
 * Loaded only by `metrics`, to keep nitroctl's start-up small.
 *
 * ```sh
 * nitroctl metrics > /var/lib/node_exporter/nitro.prom.$$ &&
 *   mv /var/lib/node_exporter/nitro.prom.$$ /var/lib/node_exporter/nitro.prom
 * ```
 *
 * @module
 */

import { type DaemonInfo, type ServiceDetail, STATES } from "../protocol.ts";

/** One metric family: its name, help, type and samples. */
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: { labels: Record<string, string>; value: number }[];
}

/**
 * The exposition text for these services and this daemon, ending in a
 * newline. Each family has `# HELP` and `# TYPE` lines before its samples.
 * Per service: its state as a label (1 for the state it is in, 0 for the
 * others, so a query never sees a series vanish), seconds in that state,
 * uptime, restarts and the last exit's wait status. Then nitro's own:
 * reaps, services, open fds, resident memory, uptime.
 *
 * @example
 * ```ts
 * import { formatMetrics } from "./metrics.ts";
 * const text = formatMetrics([{
 *   name: "web", state: "UP", pid: 42, wstatus: 0, seconds: 7,
 *   uptime: 7, restarts: 0, lastExit: null, logger: null,
 *   readiness: "timer", reason: null,
 * }], {
 *   pid: 1, protocol: 1, version: "0.1.0", services: 1, reaps: 9,
 *   svReaps: 7, fds: 12, rss: 4096, boot: 5, uptime: 61500,
 *   dir: "/etc/nitro", pid1: true,
 * });
 * console.assert(text.includes('nitro_service_state{service="web",state="UP"} 1\n'));
 * ```
 */
export function formatMetrics(
  details: readonly ServiceDetail[],
  info: DaemonInfo,
): string {
  const perService = (
    name: string,
    help: string,
    type: Family["type"],
    value: (d: ServiceDetail) => number | null,
  ): Family | null => {
    const samples = details.map((d) => ({
      labels: { service: d.name },
      value: value(d),
    }));
    // A figure the daemon does not report (C nitro's) is left out.
    return samples.some((s) => s.value === null)
      ? null
      : { name, help, type, samples: samples as Family["samples"] };
  };
  const single = (
    name: string,
    help: string,
    type: Family["type"],
    value: number | null,
  ): Family | null =>
    value === null
      ? null
      : { name, help, type, samples: [{ labels: {}, value }] };

  const families: (Family | null)[] = [
    {
      name: "nitro_service_state",
      help: "1 for the state the service is in, 0 for the other states.",
      type: "gauge",
      samples: details.flatMap((d) =>
        STATES.map((state) => ({
          labels: { service: d.name, state },
          value: d.state === state ? 1 : 0,
        }))
      ),
    },
    perService(
      "nitro_service_state_seconds",
      "Seconds since the service entered its current state.",
      "gauge",
      (d) => d.seconds,
    ),
    perService(
      "nitro_service_uptime_seconds",
      "Seconds since the service's run started; 0 when it is not running.",
      "gauge",
      (d) => d.uptime ?? 0,
    ),
    perService(
      "nitro_service_restarts_total",
      "Automatic restarts of the service since nitro started.",
      "counter",
      (d) => d.restarts,
    ),
    perService(
      "nitro_service_last_exit_status",
      "Wait status of the last exit of run, as nitroctl list shows it: " +
        "exit code times 256, or the number of the killing signal; 0 " +
        "before any exit.",
      "gauge",
      (d) => Math.max(0, d.wstatus),
    ),
    single(
      "nitro_services",
      "Services nitro knows, instances included.",
      "gauge",
      info.services,
    ),
    single(
      "nitro_reaps_total",
      "Processes nitro has reaped.",
      "counter",
      info.reaps,
    ),
    single(
      "nitro_service_reaps_total",
      "Service processes (setup, run, finish) nitro has reaped.",
      "counter",
      info.svReaps,
    ),
    single(
      "nitro_open_fds",
      "Open file descriptors of the nitro process.",
      "gauge",
      info.fds,
    ),
    single(
      "nitro_resident_memory_bytes",
      "Resident memory of the nitro process, in bytes.",
      "gauge",
      info.rss,
    ),
    single(
      "nitro_uptime_seconds",
      "Seconds since nitro started.",
      "gauge",
      info.uptime === null ? null : info.uptime / 1000,
    ),
    info.version === null ? null : {
      name: "nitro_info",
      help: "Always 1; the labels say which nitro answers.",
      type: "gauge",
      samples: [{
        labels: { version: info.version, pid1: String(info.pid1) },
        value: 1,
      }],
    },
  ];
  const lines: string[] = [];
  for (const f of families) {
    if (f === null) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const { labels, value } of f.samples) {
      lines.push(`${f.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * A label value as the exposition format wants it: backslash, double quote
 * and newline escaped.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./metrics.ts";
 * console.assert(escapeLabelValue('a"b\\c') === 'a\\"b\\\\c');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** HELP text: backslash and newline escaped (quotes stay as they are). */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) =>
    `${k}="${escapeLabelValue(v)}"`
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** A sample value: a Go-parsable float; non-finite values spelled out. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
