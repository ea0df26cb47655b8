/**
 * Tests of src/daemon/notify_dir.ts: the pure rules (who listens, the
 * packet's bytes, which directory is acceptable), then `NotifyDir` on real
 * Unix datagram sockets in a temporary directory, no daemon started. The
 * sequences a running nitro announces are tested in
 * tests/daemon/notify_sequence_test.ts and, against C nitro's, in
 * tests/e2e/notify_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  listensTo,
  MAX_RECEIVERS,
  NotifyDir,
  notifyDirOf,
  notifyDirProblem,
  packet,
  QUEUED_PER_RECEIVER,
} from "../../src/daemon/notify_dir.ts";
import { RuntimeDir, UnsafePath } from "../../src/daemon/runtime_dir.ts";
import { STATES } from "../../src/protocol.ts";
import { eventually } from "../helpers/nitro.ts";

const isRoot = Deno.uid() === 0;

// --- pure rules ---------------------------------------------------------------

Deno.test("listensTo: SERVICE,… (a / written as ,) or ALL,…; nothing else", () => {
  assert.ok(listensTo("web", "web,1234"));
  assert.ok(listensTo("web", "web,"));
  assert.ok(listensTo("web", "ALL,x"));
  assert.ok(listensTo("a/b", "a,b,7"));
  assert.ok(!listensTo("a/b", "a/b,7"));
  assert.ok(!listensTo("web", "web"));
  assert.ok(!listensTo("web", "webx,1"));
  assert.ok(!listensTo("webx", "web,1"));
  assert.ok(!listensTo("web", "ALL"));
  assert.ok(!listensTo("web", "all,1"));
});

Deno.test("packet: length low and high byte, state number (1-based), name without NUL", () => {
  assert.deepEqual([...packet("web", "UP")], [3, 0, 4, 119, 101, 98]);
  STATES.forEach((state, i) => assert.equal(packet("x", state)[2], i + 1));
  // The length counts bytes, not characters.
  assert.deepEqual([...packet("é", "FATAL")], [2, 0, 8, 0xc3, 0xa9]);
  assert.equal(packet("x", "DOWN").length, 4);
});

Deno.test("notifyDirProblem: a directory of nitro's uid no group or other can write", () => {
  const dir = (mode: number, uid = 5) => ({
    kind: "directory" as const,
    uid,
    mode,
  });
  assert.equal(notifyDirProblem(dir(0o700), 5), null);
  assert.equal(notifyDirProblem(dir(0o755), 5), null);
  assert.equal(
    notifyDirProblem(dir(0o775), 5),
    "writable by group or others (mode 0775)",
  );
  assert.equal(
    notifyDirProblem(dir(0o1777), 5),
    "writable by group or others (mode 01777)",
  );
  assert.equal(
    notifyDirProblem(dir(0o700, 0), 5),
    "owned by uid 0, not nitro's uid 5",
  );
  assert.equal(
    notifyDirProblem({ kind: "symlink", uid: 5, mode: 0o777 }, 5),
    "not a directory (a symlink)",
  );
});

// --- on real sockets ----------------------------------------------------------

type Listen = (
  o: { transport: "unixpacket"; path: string },
) => Deno.DatagramConn;
const listenDatagram = (Deno as unknown as { listenDatagram: Listen })
  .listenDatagram;

/** A notify directory beside a fresh runtime directory, and its receivers. */
class Fixture {
  readonly root = Deno.makeTempDirSync({ prefix: "notify_dir_test_" });
  readonly runtime = RuntimeDir.open(join(this.root, "nitro.sock.d"));
  readonly notify = NotifyDir.open(this.runtime);
  readonly #receivers: Deno.DatagramConn[] = [];

  /** A receiver bound in the notify directory as `file`. */
  receiver(file: string): Deno.DatagramConn {
    const conn = listenDatagram({
      transport: "unixpacket",
      path: join(this.notify.path, file),
    });
    this.#receivers.push(conn);
    return conn;
  }

  /** nitro's own entries in the runtime directory, sorted. */
  runtimeEntries(): string[] {
    return [...Deno.readDirSync(this.runtime.path)].map((e) => e.name).sort();
  }

  [Symbol.dispose](): void {
    this.notify.close();
    for (const conn of this.#receivers) {
      try {
        conn.close();
      } catch {
        // Closed by the test.
      }
    }
    Deno.removeSync(this.root, { recursive: true });
  }
}

/** The next packet `conn` receives, as numbers. */
async function next(conn: Deno.DatagramConn): Promise<number[]> {
  const [bytes] = await conn.receive();
  return [...bytes];
}

const UP_WEB = [3, 0, 4, 119, 101, 98];

Deno.test("NotifyDir.open: creates notify/ beside the runtime directory, 0700", () => {
  using f = new Fixture();
  assert.equal(f.notify.path, join(f.root, "notify"));
  assert.equal(notifyDirOf(f.runtime), f.notify.path);
  const info = Deno.lstatSync(f.notify.path);
  assert.ok(info.isDirectory);
  assert.equal(info.mode! & 0o7777, 0o700);
  // Opened again, the one there is accepted as it is.
  NotifyDir.open(f.runtime).close();
});

Deno.test("NotifyDir.open: a notify directory others may write to is refused, untouched", () => {
  using f = new Fixture();
  Deno.chmodSync(f.notify.path, 0o777);
  assert.throws(
    () => NotifyDir.open(f.runtime),
    (e) =>
      e instanceof UnsafePath &&
      e.message ===
        `${f.notify.path}: writable by group or others (mode 0777)`,
  );
  assert.equal(Deno.statSync(f.notify.path).mode! & 0o7777, 0o777);
  Deno.chmodSync(f.notify.path, 0o700);
  Deno.removeSync(f.notify.path);
  Deno.writeTextFileSync(f.notify.path, "");
  assert.throws(
    () => NotifyDir.open(f.runtime),
    { message: `${f.notify.path}: not a directory (a file)` },
  );
  Deno.removeSync(f.notify.path);
  Deno.mkdirSync(f.notify.path);
});

Deno.test({
  name: "NotifyDir.open: a notify directory of another uid is refused",
  ignore: !isRoot,
  fn: () => {
    using f = new Fixture();
    Deno.chownSync(f.notify.path, 65534, null);
    assert.throws(
      () => NotifyDir.open(f.runtime),
      { message: `${f.notify.path}: owned by uid 65534, not nitro's uid 0` },
    );
    Deno.chownSync(f.notify.path, 0, null);
  },
});

Deno.test("announce: the exact bytes, in order, to SERVICE,… and ALL,… only", async () => {
  using f = new Fixture();
  const web = f.receiver("web,1");
  const all = f.receiver("ALL,1");
  const other = f.receiver("webx,1");
  const nested = f.receiver("a,b,1");
  f.notify.announce("web", "STARTING");
  f.notify.announce("web", "UP");
  f.notify.announce("a/b", "DOWN");
  f.notify.announce("webx", "FATAL");
  assert.deepEqual(await next(web), [3, 0, 3, 119, 101, 98]);
  assert.deepEqual(await next(web), UP_WEB);
  assert.deepEqual(await next(all), [3, 0, 3, 119, 101, 98]);
  assert.deepEqual(await next(all), UP_WEB);
  assert.deepEqual(await next(all), [3, 0, 1, 97, 47, 98]);
  assert.deepEqual(await next(all), [4, 0, 8, 119, 101, 98, 120]);
  // webx got only its own, and first: none of web's reached it.
  assert.deepEqual(await next(other), [4, 0, 8, 119, 101, 98, 120]);
  assert.deepEqual(await next(nested), [3, 0, 1, 97, 47, 98]);
});

Deno.test("announce: entries starting with a dot are skipped", async () => {
  using f = new Fixture();
  const hidden = f.receiver(".x,1");
  const seen = f.receiver("ALL,2");
  f.notify.announce(".x", "UP");
  f.notify.announce("x", "DOWN");
  assert.deepEqual(await next(seen), [2, 0, 4, 46, 120]);
  assert.deepEqual(await next(seen), [1, 0, 1, 120]);
  // The dot entry got nothing: a packet sent to it now arrives first.
  const probe = listenDatagram({
    transport: "unixpacket",
    path: join(f.root, "probe"),
  });
  await probe.send(new Uint8Array([9]), {
    transport: "unixpacket",
    path: join(f.notify.path, ".x,1"),
  });
  probe.close();
  assert.deepEqual(await next(hidden), [9]);
});

Deno.test("announce: a receiver gone (connection refused) is unlinked, and nitro's socket for it closed", async () => {
  using f = new Fixture();
  // A socket file nobody reads, as a killed listener leaves it.
  const bound = join(f.root, "dead");
  const dead = join(f.notify.path, "web,dead");
  const conn = listenDatagram({ transport: "unixpacket", path: bound });
  Deno.linkSync(bound, dead);
  conn.close();
  const live = f.receiver("web,live");
  f.notify.announce("web", "UP");
  assert.deepEqual(await next(live), UP_WEB);
  await eventually(
    () => {
      try {
        Deno.lstatSync(dead);
        return false;
      } catch {
        return true;
      }
    },
    10_000,
    "the dead receiver to be unlinked",
  );
  // Only the live receiver's socket and link are left in nitro's directory,
  // and they still carry packets.
  await eventually(
    () => f.runtimeEntries().length === 2,
    10_000,
    () => `two entries, not ${f.runtimeEntries()}`,
  );
  f.notify.announce("web", "DOWN");
  assert.deepEqual(await next(live), [3, 0, 1, 119, 101, 98]);
});

Deno.test({
  name:
    "announce: a receiver that never reads never holds up sending, nor the others",
  // The packets to the stalled receiver stay in flight until nitro ends them.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    using f = new Fixture();
    f.receiver("ALL,stuck"); // Never read.
    const reader = f.receiver("web,reads");
    const count = 3 * QUEUED_PER_RECEIVER;
    // The link to the stuck receiver, as first made: taken at once, since
    // under load the stall may be noticed (and the link gone a moment)
    // before the loop below ends.
    let link = "";
    let made = 0;
    for (let i = 0; i < count; i++) {
      const state = i % 2 === 0 ? "STARTING" : "UP";
      f.notify.announce("web", state); // Returns at once, every time.
      if (i === 0) {
        link = linkTo(f, "ALL,stuck");
        made = Deno.lstatSync(link).mtime!.getTime();
      }
      assert.deepEqual(await next(reader), [
        3,
        0,
        i % 2 === 0 ? 3 : 4,
        119,
        101,
        98,
      ]);
    }
    // nitro notices the stall: it removes its link to the stuck receiver,
    // which ends the send in flight, and makes it anew for a later try.
    await eventually(
      () => linkMade(link) > made,
      10_000,
      "the stalled receiver's link to be made anew",
    );
    // The reader still gets what follows, at once.
    f.notify.announce("web", "DOWN");
    assert.deepEqual(await next(reader), [3, 0, 1, 119, 101, 98]);
  },
});

/** nitro's link (in its runtime directory) to the receiver `file`. */
function linkTo(f: Fixture, file: string): string {
  const target = join(f.notify.path, file);
  const name = f.runtimeEntries().find((n) => {
    try {
      return Deno.readLinkSync(f.runtime.pathOf(n)) === target;
    } catch {
      return false;
    }
  });
  assert.ok(name !== undefined, `a link to ${file}`);
  return f.runtime.pathOf(name);
}

/** When the link was made (0 while it is missing). */
function linkMade(path: string): number {
  try {
    return Deno.lstatSync(path).mtime!.getTime();
  } catch {
    return 0;
  }
}

Deno.test("a receiver removed from the directory: its sending socket and link go at the next announcement", async () => {
  using f = new Fixture();
  const a = f.receiver("web,a");
  const b = f.receiver("web,b");
  f.notify.announce("web", "UP");
  assert.deepEqual(await next(a), UP_WEB);
  assert.deepEqual(await next(b), UP_WEB);
  assert.deepEqual(f.runtimeEntries(), [
    ",notify0",
    ",notify1",
    ",to0",
    ",to1",
  ]);
  a.close(); // Deno removes its socket file: the directory changed.
  f.notify.announce("web", "DOWN");
  assert.deepEqual(await next(b), [3, 0, 1, 119, 101, 98]);
  assert.deepEqual(f.runtimeEntries(), [",notify1", ",to1"]);
});

Deno.test("close: every sending socket and link of nitro's is gone; the receivers stay", async () => {
  using f = new Fixture();
  const r = f.receiver("ALL,1");
  f.notify.announce("x", "UP");
  await next(r);
  assert.equal(f.runtimeEntries().length, 2);
  f.notify.close();
  assert.deepEqual(f.runtimeEntries(), []);
  assert.deepEqual([...Deno.readDirSync(f.notify.path)].map((e) => e.name), [
    "ALL,1",
  ]);
});

Deno.test("announce: a notify directory removed by hand means nobody listens", () => {
  using f = new Fixture();
  Deno.removeSync(f.notify.path);
  f.notify.announce("web", "UP"); // No throw, nothing made.
  assert.deepEqual(f.runtimeEntries(), []);
  Deno.mkdirSync(f.notify.path);
});

Deno.test("announce: a notify directory that no longer passes its checks gets nothing, and nitro lets go of its receivers", async () => {
  using f = new Fixture();
  const r = f.receiver("ALL,1");
  f.notify.announce("web", "UP");
  assert.deepEqual(await next(r), UP_WEB);
  assert.equal(f.runtimeEntries().length, 2);
  // Made writable by others (as one re-made in a shared /tmp would be).
  Deno.chmodSync(f.notify.path, 0o777);
  f.notify.announce("web", "DOWN");
  assert.deepEqual(f.runtimeEntries(), [], "senders let go");
  // A symlink in its place, to a directory of the same receivers.
  Deno.chmodSync(f.notify.path, 0o700);
  const real = join(f.root, "elsewhere");
  Deno.renameSync(f.notify.path, real);
  Deno.symlinkSync(real, f.notify.path);
  f.notify.announce("web", "DOWN");
  assert.deepEqual(f.runtimeEntries(), []);
  // Put right again: served again.
  Deno.removeSync(f.notify.path);
  Deno.renameSync(real, f.notify.path);
  f.notify.announce("web", "UP");
  assert.deepEqual(await next(r), UP_WEB);
});

Deno.test("announce: receivers beyond MAX_RECEIVERS get nothing and cost nitro no socket", () => {
  using f = new Fixture();
  // Entries need not be sockets to take nitro's sockets: files will do.
  for (let i = 0; i < MAX_RECEIVERS + 10; i++) {
    Deno.writeTextFileSync(join(f.notify.path, `ALL,${i}`), "");
  }
  f.notify.announce("web", "UP"); // Binds its sockets before it returns.
  const sockets = f.runtimeEntries().filter((e) => e.startsWith(",notify"));
  assert.equal(sockets.length, MAX_RECEIVERS);
  f.notify.close();
});
