/**
 * Tests of src/spat/format.ts: what nitroctl prints from C nitro's answers,
 * line by line. The same lines against a real C nitro, beside C
 * nitroctl's, are compared in tests/ctl/spat_queries_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  formatCDetails,
  formatCInfo,
  formatCList,
} from "../../src/spat/format.ts";
import type { ServiceDetail } from "../../src/protocol.ts";

Deno.test("formatCList: sorted by name (bytewise), pid only when there is one", () => {
  assert.deepEqual(
    formatCList([
      { name: "web", state: "UP", pid: 42, wstatus: 0, uptime: 75 },
      { name: "Zed", state: "DOWN", pid: 0, wstatus: 256, uptime: 3 },
      { name: "app@x", state: "FATAL", pid: 0, wstatus: -1, uptime: 0 },
    ]),
    [
      "DOWN Zed (wstatus 256) 3s",
      "FATAL app@x (wstatus -1) 0s",
      "UP web (pid 42) (wstatus 0) 75s",
    ],
  );
  assert.deepEqual(formatCList([]), []);
});

Deno.test("formatCInfo: C nitroctl's keys in the order sent; unknown tags in two hex digits", () => {
  assert.deepEqual(
    formatCInfo([[108, 10], [109, 4], [106, 1], [103, 9], [5, 0], [255, 1]]),
    [
      "total_reaps 10",
      "total_sv_reaps 4",
      "nitro_pid 1",
      "pid 9",
      "# unknown tag 0x05",
      "# unknown tag 0xff",
    ],
  );
});

const detail = (over: Partial<ServiceDetail>): ServiceDetail => ({
  name: "web",
  state: "UP",
  pid: 4,
  wstatus: 0,
  seconds: 65,
  uptime: 65,
  restarts: null,
  lastExit: null,
  logger: null,
  readiness: null,
  reason: null,
  ...over,
});

Deno.test("formatCDetails: what C nitro tells, unknown for the rest; blocks apart by a blank line", () => {
  assert.deepEqual(
    formatCDetails([
      detail({}),
      detail({
        name: "db",
        state: "FATAL",
        pid: null,
        wstatus: 256,
        seconds: 3700,
        uptime: null,
        lastExit: "exited 1",
      }),
    ]),
    [
      "web",
      "  state:     UP for 1m 05s",
      "  pid:       4",
      "  uptime:    1m 05s",
      "  last exit: unknown (wstatus 0)",
      "  restarts:  unknown",
      "  logger:    unknown",
      "  readiness: unknown",
      "",
      "db",
      "  state:     FATAL for 1h 01m 40s",
      "  pid:       -",
      "  uptime:    -",
      "  last exit: exited 1",
      "  restarts:  unknown",
      "  logger:    unknown",
      "  readiness: unknown",
      "  reason:    unknown",
    ],
  );
  assert.deepEqual(formatCDetails([]), []);
});
