/**
 * nitroctl's pure formatting: `list` lines, `info` keys, `status` blocks,
 * durations, and the Prometheus exposition of `metrics`.
 */

import assert from "node:assert/strict";
import type { DaemonInfo, ServiceDetail } from "../../src/protocol.ts";
import { formatInfo, formatStatus } from "../../src/ctl/format.ts";
import { escapeLabelValue, formatMetrics } from "../../src/ctl/metrics.ts";
import {
  formatDetail,
  formatDetails,
  formatDuration,
  formatReadiness,
} from "../../src/ctl/status.ts";
import { parseExposition } from "../helpers/exposition.ts";
import { detail, FAKE_INFO, status } from "../helpers/fake_daemon.ts";

const LIST_LINE = /^([A-Z]+) (.*?) (\(pid \d+\) )?\(wstatus (-?\d+)\) (\d+)s$/;

Deno.test("list lines always carry (wstatus N), -1 as C nitroctl prints it", () => {
  const cases: [ReturnType<typeof status>, string][] = [
    [status("web", "UP", 42, 0, 17), "UP web (pid 42) (wstatus 0) 17s"],
    [status("cron", "DOWN", null, 256, 40), "DOWN cron (wstatus 256) 40s"],
    // A FATAL that no exit of run caused: -1, as C nitroctl prints it.
    [status("db", "FATAL", null, -1, 3), "FATAL db (wstatus -1) 3s"],
    [status("a b", "DELAY", null, 9, 0), "DELAY a b (wstatus 9) 0s"],
  ];
  for (const [s, line] of cases) {
    assert.equal(formatStatus(s), line);
    assert.match(formatStatus(s), LIST_LINE);
  }
});

Deno.test("info: C nitroctl's five lines first, numbers only, no text facts", () => {
  const info: DaemonInfo = { ...FAKE_INFO, uptime: 1234.6 };
  assert.deepEqual(formatInfo(info), [
    "nitro_pid 1234",
    "pid 1234",
    "max_service 3",
    "total_reaps 7",
    "total_sv_reaps 5",
    "uptime_ms 1235",
    "protocol 1",
    "fds 11",
    "rss_bytes 40000000",
    "boot_ms 12",
  ]);
});

Deno.test("durations for people", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [59, "59s"],
    [60, "1m 00s"],
    [3599, "59m 59s"],
    [3600, "1h 00m 00s"],
    [86399, "23h 59m 59s"],
    [86400 + 3600 + 60, "1d 01h 01m"],
    [-5, "0s"],
    [7.9, "7s"],
  ];
  for (const [s, text] of cases) assert.equal(formatDuration(s), text, `${s}`);
});

Deno.test("status blocks: reason only when FATAL, readiness in words", () => {
  const up = detail(status("web", "UP", 42, 0, 5), {
    logger: "LOG",
    readiness: 3,
  });
  assert.deepEqual(formatDetail(up), [
    "web",
    "  state:     UP for 5s",
    "  pid:       42",
    "  uptime:    5s",
    "  last exit: none yet",
    "  restarts:  0",
    "  logger:    LOG",
    "  readiness: notification-fd 3",
  ]);
  const fatal = detail(status("db", "FATAL", null, 0, 1));
  assert.equal(
    formatDetail(fatal).at(-1),
    "  reason:    run is not executable",
  );
  assert.deepEqual(
    formatDetails([up, fatal]).filter((l) => l === "").length,
    1,
  );
  assert.match(formatReadiness("timer"), /no notification-fd/);
  assert.match(formatReadiness("manual"), /nitroctl ready/);
});

Deno.test("label values escape backslash, quote and newline", () => {
  assert.equal(escapeLabelValue("plain"), "plain");
  assert.equal(escapeLabelValue('a"b'), 'a\\"b');
  assert.equal(escapeLabelValue("a\\b"), "a\\\\b");
  assert.equal(escapeLabelValue("a\nb"), "a\\nb");
});

Deno.test("metrics parse for any services, none included", () => {
  const details: ServiceDetail[] = [
    detail(status('x"\\\n', "UP", 1, 0, 1)),
    detail(status("y", "DELAY", null, 3 << 8, 2), { restarts: 4 }),
  ];
  for (const list of [[], details]) {
    const text = formatMetrics(list, FAKE_INFO);
    const { samples, help, type } = parseExposition(text);
    // Every family has HELP and TYPE, even one without samples.
    assert.deepEqual([...help.keys()], [...type.keys()]);
    const states = samples.filter((s) => s.name === "nitro_service_state");
    assert.equal(states.length, list.length * 9);
    if (list.length > 0) {
      assert.ok(states.some((s) => s.labels.service === 'x"\\\n'));
      assert.equal(
        samples.find((s) =>
          s.name === "nitro_service_restarts_total" && s.labels.service === "y"
        )?.value,
        4,
      );
    }
  }
});
