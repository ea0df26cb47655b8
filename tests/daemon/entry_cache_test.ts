/**
 * What nitro keeps between decisions so that a restart loop leaves no
 * garbage behind: the listing of each service directory (re-read only when
 * the directory changed, src/daemon/entry_cache.ts) and the rolling event
 * window kept field by field (src/daemon/event_ring.ts). The figures are in
 * `deno task bench restarts`; here, that what they keep is never stale.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { EntryCache, RACY_MS } from "../../src/daemon/entry_cache.ts";
import { ServiceEventRing } from "../../src/daemon/event_ring.ts";
import { ENTRY_NAMES, hasEntry, listEntries } from "../../src/config/scan.ts";
import { type ServiceEvent, STATES } from "../../src/protocol.ts";
import { realHost } from "../../src/daemon/host.ts";
import { writeServices } from "../helpers/nitro.ts";
import { sh } from "../helpers/daemon.ts";

/** Set a directory's mtime `minutes` back (default 60): it is settled. */
function settle(dir: string, minutes = 60): void {
  const past = new Date(Date.now() - minutes * 60_000);
  Deno.utimeSync(dir, past, past);
}

Deno.test("listEntries: the names nitro looks at, and nothing else", () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (const name of ["run", "down", "log", "README", "run.bak"]) {
      Deno.writeTextFileSync(join(dir, name), "");
    }
    const entries = listEntries(dir)!;
    assert.deepEqual(
      ENTRY_NAMES.filter((name) => hasEntry(entries, name)),
      ["run", "down", "log"],
    );
    assert.equal(listEntries(join(dir, "gone")), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("EntryCache: keeps a settled directory's listing, sees every change to it", () => {
  const root = Deno.makeTempDirSync();
  const dir = join(root, "svc");
  try {
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(join(dir, "run"), "");
    const cache = new EntryCache();
    // Just changed: used, not kept (a change in the same tick would not
    // move the mtime).
    assert.ok(hasEntry(cache.of(dir)!, "run"));
    assert.equal(cache.size, 0);
    settle(dir);
    assert.ok(hasEntry(cache.of(dir)!, "run"));
    assert.equal(cache.size, 1);
    assert.ok(!hasEntry(cache.of(dir)!, "down"));

    // A new entry moves the mtime: seen at once.
    Deno.writeTextFileSync(join(dir, "down"), "");
    assert.ok(hasEntry(cache.of(dir)!, "down"));
    // A removal too, also once the directory has settled again.
    Deno.removeSync(join(dir, "down"));
    settle(dir, 30);
    assert.ok(!hasEntry(cache.of(dir)!, "down"));
    assert.equal(cache.size, 1);

    // Another directory at the same path.
    Deno.removeSync(dir, { recursive: true });
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(join(dir, "finish"), "");
    const entries = cache.of(dir)!;
    assert.ok(hasEntry(entries, "finish") && !hasEntry(entries, "run"));

    // Gone: null, and forgotten.
    Deno.removeSync(dir, { recursive: true });
    assert.equal(cache.of(dir), null);
    assert.equal(cache.size, 0);
    assert.ok(RACY_MS > 0);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ServiceEventRing: the last `capacity` events, in order", () => {
  for (const capacity of [0, 1, 7, 1000]) {
    const pushed: ServiceEvent[] = [];
    const last = () => capacity === 0 ? [] : pushed.slice(-capacity);
    const compact = new ServiceEventRing(capacity);
    for (let i = 0; i < 2500; i++) {
      const event: ServiceEvent = {
        name: `svc${i % 13}`,
        state: STATES[i % STATES.length],
        notice: i % 3 === 0 ? null : STATES[(i + 1) % STATES.length],
        pid: i % 5 === 0 ? null : 100 + i,
        time: i * 1.5,
      };
      pushed.push(event);
      compact.push(event);
      if (i % 97 === 0 || i === 2499) {
        assert.deepEqual(compact.toArray(), last(), `at ${i}`);
        assert.equal(compact.size, last().length);
      }
    }
    compact.clear();
    assert.deepEqual(compact.toArray(), []);
    // An event without a notice (another daemon's) counts as announced.
    compact.push({ name: "x", state: "UP", pid: 9, time: 1 });
    assert.deepEqual(
      compact.toArray(),
      capacity === 0
        ? []
        : [{ name: "x", state: "UP", notice: "UP", pid: 9, time: 1 }],
    );
  }
});

Deno.test("the real host sees scripts added to and removed from a settled service directory", () => {
  // What the supervisor asks before each decision (is there a finish?),
  // through the host a running nitro uses, with its listing cache.
  const root = Deno.makeTempDirSync({ prefix: "nitro-entries-" });
  const { tree } = realHost({
    runtime: null,
    console: {
      say: () => {},
      write: () => {},
      flush: () => Promise.resolve(true),
    },
    env: {},
  });
  const web = join(root, "web");
  const hasFinish = () => tree.facts(web, tree.entries(web)).hasFinish;
  try {
    writeServices(root, { web: { run: sh("exec sleep 1000") } });
    settle(web);
    assert.equal(hasFinish(), false);
    assert.equal(hasFinish(), false, "asked again: from the kept listing");
    // Decisions so far used a kept listing; now a finish appears.
    Deno.writeTextFileSync(join(web, "finish"), sh("exit 0"));
    Deno.chmodSync(join(web, "finish"), 0o755);
    settle(web, 30);
    assert.equal(hasFinish(), true);
    // And it goes again.
    Deno.removeSync(join(web, "finish"));
    settle(web, 15);
    assert.equal(hasFinish(), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
