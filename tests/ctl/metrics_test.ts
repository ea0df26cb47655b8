/**
 * Tests of src/ctl/metrics.ts: the exact exposition text of `nitroctl
 * metrics`, family by family, what is left out for a daemon that does not
 * report a figure (C nitro), and how values are spelled. That the text
 * parses for any service names is tested in tests/ctl/format_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatMetrics } from "../../src/ctl/metrics.ts";
import type { DaemonInfo, ServiceDetail } from "../../src/protocol.ts";

const INFO: DaemonInfo = {
  pid: 1,
  protocol: 1,
  version: "0.1.0",
  services: 1,
  reaps: 9,
  svReaps: 7,
  fds: 12,
  rss: 4096,
  boot: 5,
  uptime: 61500,
  dir: "/etc/nitro",
  pid1: true,
};

const WEB: ServiceDetail = {
  name: "web",
  state: "UP",
  pid: 42,
  wstatus: 768,
  seconds: 7,
  uptime: 7,
  restarts: 2,
  lastExit: "exited 3",
  logger: null,
  readiness: "timer",
  reason: null,
};

Deno.test("formatMetrics: every family with HELP and TYPE, in order, each sample exact", () => {
  const states = [
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
  assert.equal(
    formatMetrics([WEB], INFO),
    [
      "# HELP nitro_service_state 1 for the state the service is in, 0 for the other states.",
      "# TYPE nitro_service_state gauge",
      ...states.map((s) =>
        `nitro_service_state{service="web",state="${s}"} ${s === "UP" ? 1 : 0}`
      ),
      "# HELP nitro_service_state_seconds Seconds since the service entered its current state.",
      "# TYPE nitro_service_state_seconds gauge",
      'nitro_service_state_seconds{service="web"} 7',
      "# HELP nitro_service_uptime_seconds Seconds since the service's run started; 0 when it is not running.",
      "# TYPE nitro_service_uptime_seconds gauge",
      'nitro_service_uptime_seconds{service="web"} 7',
      "# HELP nitro_service_restarts_total Automatic restarts of the service since nitro started.",
      "# TYPE nitro_service_restarts_total counter",
      'nitro_service_restarts_total{service="web"} 2',
      "# HELP nitro_service_last_exit_status Wait status of the last exit of run, as nitroctl list shows it: exit code times 256, or the number of the killing signal; 0 before any exit.",
      "# TYPE nitro_service_last_exit_status gauge",
      'nitro_service_last_exit_status{service="web"} 768',
      "# HELP nitro_services Services nitro knows, instances included.",
      "# TYPE nitro_services gauge",
      "nitro_services 1",
      "# HELP nitro_reaps_total Processes nitro has reaped.",
      "# TYPE nitro_reaps_total counter",
      "nitro_reaps_total 9",
      "# HELP nitro_service_reaps_total Service processes (setup, run, finish) nitro has reaped.",
      "# TYPE nitro_service_reaps_total counter",
      "nitro_service_reaps_total 7",
      "# HELP nitro_open_fds Open file descriptors of the nitro process.",
      "# TYPE nitro_open_fds gauge",
      "nitro_open_fds 12",
      "# HELP nitro_resident_memory_bytes Resident memory of the nitro process, in bytes.",
      "# TYPE nitro_resident_memory_bytes gauge",
      "nitro_resident_memory_bytes 4096",
      "# HELP nitro_uptime_seconds Seconds since nitro started.",
      "# TYPE nitro_uptime_seconds gauge",
      "nitro_uptime_seconds 61.5",
      "# HELP nitro_info Always 1; the labels say which nitro answers.",
      "# TYPE nitro_info gauge",
      'nitro_info{version="0.1.0",pid1="true"} 1',
      "",
    ].join("\n"),
  );
});

Deno.test("formatMetrics: services in the order given; a service not running has uptime 0; C nitro's -1 wait status is 0", () => {
  const text = formatMetrics([
    WEB,
    {
      ...WEB,
      name: "db",
      state: "FATAL",
      pid: null,
      uptime: null,
      wstatus: -1,
    },
  ], INFO);
  const samples = (family: string) =>
    text.split("\n").filter((l) => l.startsWith(`${family}{`));
  assert.deepEqual(samples("nitro_service_uptime_seconds"), [
    'nitro_service_uptime_seconds{service="web"} 7',
    'nitro_service_uptime_seconds{service="db"} 0',
  ]);
  assert.deepEqual(samples("nitro_service_last_exit_status"), [
    'nitro_service_last_exit_status{service="web"} 768',
    'nitro_service_last_exit_status{service="db"} 0',
  ]);
  assert.equal(
    samples("nitro_service_state").filter((l) => l.endsWith(" 1")).join("\n"),
    'nitro_service_state{service="web",state="UP"} 1\n' +
      'nitro_service_state{service="db",state="FATAL"} 1',
  );
});

Deno.test("formatMetrics: a figure the daemon does not report leaves its whole family out", () => {
  // C nitro: no restarts, fds, rss, uptime, version.
  const cInfo: DaemonInfo = {
    ...INFO,
    protocol: null,
    version: null,
    fds: null,
    rss: null,
    uptime: null,
    boot: null,
    dir: null,
  };
  const text = formatMetrics([{ ...WEB, restarts: null }], cInfo);
  const families = text.split("\n").filter((l) => l.startsWith("# TYPE "))
    .map((l) => l.split(" ")[2]);
  assert.deepEqual(families, [
    "nitro_service_state",
    "nitro_service_state_seconds",
    "nitro_service_uptime_seconds",
    "nitro_service_last_exit_status",
    "nitro_services",
    "nitro_reaps_total",
    "nitro_service_reaps_total",
  ]);
  // One service without the figure is enough to leave it out for all.
  const mixed = formatMetrics(
    [WEB, { ...WEB, name: "b", restarts: null }],
    INFO,
  );
  assert.ok(!mixed.includes("nitro_service_restarts_total"));
});

Deno.test("formatMetrics: no services: the per-service families with no samples, nitro's own as ever", () => {
  const lines = formatMetrics([], INFO).split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "# HELP nitro_service_state 1 for the state the service is in, 0 for the other states.",
    "# TYPE nitro_service_state gauge",
    "# HELP nitro_service_state_seconds Seconds since the service entered its current state.",
  ]);
  assert.ok(lines.includes("nitro_services 1"));
});

Deno.test("formatMetrics: values Go can parse: NaN, +Inf, -Inf spelled out; labels escaped", () => {
  const text = formatMetrics(
    [{ ...WEB, name: 'we"b\\\n', seconds: Infinity }],
    {
      ...INFO,
      fds: NaN,
      rss: -Infinity,
    },
  );
  assert.ok(
    text.includes(
      'nitro_service_state_seconds{service="we\\"b\\\\\\n"} +Inf\n',
    ),
  );
  assert.ok(text.includes("nitro_open_fds NaN\n"));
  assert.ok(text.includes("nitro_resident_memory_bytes -Inf\n"));
  assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"));
});
