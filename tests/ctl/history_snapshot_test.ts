/**
 * Tests of src/ctl/history_snapshot.ts against an in-process stream socket
 * that answers as nitro would (or would not): which lines make the
 * snapshot, where it ends, and the errors. `snapshot` itself (boot and
 * clock from info, else from the events) is tested in
 * tests/ctl/blame_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { NitroError } from "../../src/client.ts";
import { historySnapshot } from "../../src/ctl/history_snapshot.ts";
import type { ServiceEvent } from "../../src/protocol.ts";
import { FAKE_INFO } from "../helpers/fake_daemon.ts";

/**
 * A socket that reads the request (both lines), writes `reply` and closes;
 * `requests` gets what it read.
 */
async function answering(
  reply: string,
  fn: (path: string, requests: string[]) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "history_snapshot_test_" });
  const path = join(dir, "nitro.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const requests: string[] = [];
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    let text = "";
    while (text.split("\n").length < 3) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    requests.push(...text.split("\n").filter((l) => l !== ""));
    await conn.write(new TextEncoder().encode(reply));
    conn.close();
  })();
  try {
    await fn(path, requests);
  } finally {
    await served;
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

const ev = (name: string, time: number): ServiceEvent => ({
  name,
  state: "UP",
  pid: 10,
  time,
});
const line = (value: unknown) => JSON.stringify(value) + "\n";

Deno.test("historySnapshot: events --replay then info on one connection; the info ends it", async () => {
  const reply = line({ id: 1, event: ev("a", 100) }) +
    line({ id: 1, event: ev("b", 200) }) +
    line({ id: 2, ok: true, info: { ...FAKE_INFO, boot: 50, uptime: 900 } }) +
    line({ id: 1, event: ev("late", 950) }); // After the info: not taken.
  await answering(reply, async (path, requests) => {
    const snap = await historySnapshot(path);
    assert.deepEqual(snap, {
      events: [ev("a", 100), ev("b", 200)],
      boot: 50,
      now: 900,
    });
    assert.deepEqual(requests.map((r) => JSON.parse(r)), [
      { id: 1, op: "events", replay: true },
      { id: 2, op: "info" },
    ]);
  });
});

Deno.test("historySnapshot: an info lacking fields still ends the snapshot (boot from the first event)", async () => {
  const reply = line({ id: 1, event: ev("a", 300) }) +
    line({ id: 2, ok: true, info: { pid: 1 } });
  await answering(reply, async (path) => {
    assert.deepEqual(await historySnapshot(path), {
      events: [ev("a", 300)],
      boot: 300,
      now: 300,
    });
  });
});

Deno.test("historySnapshot: the daemon's refusal is the error, with its code", async () => {
  const reply = line({
    id: 1,
    ok: false,
    error: { code: "bad-request", message: "no replay here" },
  });
  await answering(reply, async (path) => {
    await assert.rejects(
      historySnapshot(path),
      (e) =>
        e instanceof NitroError && e.code === "bad-request" &&
        e.message === "no replay here",
    );
  });
});

Deno.test("historySnapshot: a malformed line is a protocol error quoting it", async () => {
  await answering("this is not JSON\n", async (path) => {
    await assert.rejects(
      historySnapshot(path),
      (e) =>
        e instanceof NitroError && e.code === "protocol" &&
        e.message ===
          "nitro sent a malformed line (not JSON): this is not JSON",
    );
  });
});

Deno.test("historySnapshot: closed before the info is disconnected, naming the socket", async () => {
  await answering(line({ id: 1, event: ev("a", 1) }), async (path) => {
    await assert.rejects(
      historySnapshot(path),
      (e) =>
        e instanceof NitroError && e.code === "disconnected" &&
        e.message ===
          `nitro at ${path} closed the connection before sending its history`,
    );
  });
});

Deno.test("historySnapshot: no socket is unreachable, without Deno's (os error N)", async () => {
  const path = "/nonexistent/dir/nitro.sock";
  await assert.rejects(
    historySnapshot(path),
    (e) =>
      e instanceof NitroError && e.code === "unreachable" &&
      e.message ===
        `cannot reach nitro at ${path}: No such file or directory`,
  );
});
