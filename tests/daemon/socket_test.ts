/**
 * Tests of src/daemon/socket.ts on real sockets in a temporary directory,
 * no daemon started: what it finds at the socket path and whether it binds.
 * The pure rule (`staleSocketAction`) and the creation itself (mode 0600
 * from the start, a live stream socket refused, a file, directory, symlink
 * or FIFO left alone) are tested in tests/daemon/runtime_dir_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { listenControl } from "../../src/daemon/socket.ts";
import { UnsafePath } from "../../src/daemon/runtime_dir.ts";

const isRoot = Deno.uid() === 0;

async function withTemp(fn: (root: string) => Promise<void>): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "socket_test_" });
  try {
    await fn(root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

/**
 * A stale stream socket at `path`, as a killed nitro leaves it: bound
 * beside it and linked there (Deno removes the bound path on close; the
 * link stays), then closed: nobody listens.
 */
function staleSocket(path: string): void {
  const bound = `${path}.bound`;
  const listener = Deno.listen({ transport: "unix", path: bound });
  Deno.linkSync(bound, path);
  listener.close();
  assert.ok(Deno.lstatSync(path).isSocket);
}

Deno.test("listenControl: a stale socket of nitro's own is replaced by one that answers", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "nitro.sock");
    staleSocket(sock);
    const { listener, runtime } = await listenControl(sock);
    try {
      assert.equal(runtime.path, `${sock}.d`);
      const accepted = listener.accept();
      const conn = await Deno.connect({ transport: "unix", path: sock });
      await conn.write(new Uint8Array([42]));
      const server = await accepted;
      const buf = new Uint8Array(1);
      assert.equal(await server.read(buf), 1);
      assert.equal(buf[0], 42);
      server.close();
      conn.close();
    } finally {
      listener.close();
    }
  });
});

Deno.test({
  name:
    "listenControl: a stale socket of another uid is refused and left there",
  ignore: !isRoot,
  fn: async () => {
    await withTemp(async (root) => {
      const sock = join(root, "nitro.sock");
      staleSocket(sock);
      Deno.chownSync(sock, 65534, null);
      await assert.rejects(
        listenControl(sock),
        (e) =>
          e instanceof UnsafePath &&
          e.message ===
            `${sock} is a stale socket owned by uid 65534, not nitro's uid 0; not removing it`,
      );
      assert.equal(Deno.lstatSync(sock).uid, 65534);
      assert.throws(() => Deno.lstatSync(`${sock}.d`), Deno.errors.NotFound);
    });
  },
});

Deno.test("listenControl: C nitro's datagram socket at the path is a live nitro, not a stale socket", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "nitro.sock");
    const listen = (Deno as unknown as {
      listenDatagram(
        o: { transport: "unixpacket"; path: string },
      ): Deno.DatagramConn;
    }).listenDatagram;
    const cNitro = listen({ transport: "unixpacket", path: sock });
    try {
      const before = Deno.lstatSync(sock).ino;
      await assert.rejects(
        listenControl(sock),
        (e) =>
          e instanceof UnsafePath &&
          e.message === `another nitro is running on ${sock}`,
      );
      assert.equal(Deno.lstatSync(sock).ino, before, "left in place");
    } finally {
      cNitro.close();
    }
  });
});

Deno.test("listenControl: a socket directory others could write to is refused, naming it", async () => {
  await withTemp(async (root) => {
    const open = join(root, "open");
    Deno.mkdirSync(open);
    Deno.chmodSync(open, 0o777); // Not sticky: anyone could swap entries.
    const sock = join(open, "nitro.sock");
    await assert.rejects(
      listenControl(sock),
      (e) =>
        e instanceof UnsafePath &&
        e.message.startsWith(`socket ${sock}: ${open}: writable by group`),
    );
    assert.deepEqual([...Deno.readDirSync(open)], []);
    // With the sticky bit, as /tmp, it is fine.
    Deno.chmodSync(open, 0o1777);
    const { listener } = await listenControl(sock);
    listener.close();
    assert.ok(Deno.lstatSync(sock).isSocket);
  });
});

Deno.test("listenControl: a missing socket directory is created 0700", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "a", "b", "nitro.sock");
    const { listener } = await listenControl(sock);
    listener.close();
    for (const dir of [join(root, "a"), join(root, "a", "b")]) {
      assert.equal(Deno.statSync(dir).mode! & 0o7777, 0o700, dir);
    }
  });
});
