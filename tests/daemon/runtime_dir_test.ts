/**
 * nitro's private runtime directory (src/daemon/runtime_dir.ts), the log
 * pipes in it (src/daemon/pipes.ts) and the creation of the control socket
 * (src/daemon/socket.ts): the pure rules, then each on real files, FIFOs and
 * sockets. "Another user" is a uid nobody has (chown needs root).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ancestorProblem,
  BIND_NAME,
  type Entry,
  fifoNameProblem,
  isLeftover,
  privateDirProblem,
  RuntimeDir,
  runtimeDirFor,
  secureDirectory,
  symlinkProblem,
  UnsafePath,
} from "../../src/daemon/runtime_dir.ts";
import { LogPipes } from "../../src/daemon/pipes.ts";
import { listenControl, staleSocketAction } from "../../src/daemon/socket.ts";
import { eventually } from "../helpers/nitro.ts";
import { exists } from "../helpers/common.ts";

const ME = Deno.uid()!;
/** A uid that is neither root nor us. */
const OTHER = 4242;
const asRoot = { ignore: ME !== 0 };

const dir = (uid: number, mode: number): Entry => ({
  kind: "directory",
  uid,
  mode,
});

async function withTemp(fn: (root: string) => Promise<void> | void) {
  const root = await Deno.makeTempDir({ prefix: "nitro-rt-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function mode(path: string): number {
  return Deno.lstatSync(path).mode! & 0o7777;
}

function mkfifo(path: string): void {
  const r = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.ok(r.success);
}

// --- the pure rules ----------------------------------------------------------

Deno.test("ancestors: owned by root or nitro, not writable by others unless sticky", () => {
  const uid = 1000;
  assert.equal(ancestorProblem(dir(0, 0o755), uid), null);
  assert.equal(ancestorProblem(dir(uid, 0o700), uid), null);
  assert.equal(ancestorProblem(dir(0, 0o1777), uid), null, "/tmp is fine");
  assert.match(
    ancestorProblem(dir(0, 0o777), uid)!,
    /without the sticky.*0777/,
  );
  assert.match(ancestorProblem(dir(0, 0o775), uid)!, /group or others/);
  assert.match(ancestorProblem(dir(uid, 0o757), uid)!, /0757/);
  assert.match(ancestorProblem(dir(2000, 0o755), uid)!, /owned by uid 2000/);
  assert.match(
    ancestorProblem({ kind: "file", uid: 0, mode: 0o644 }, uid)!,
    /not a directory \(a file\)/,
  );
});

Deno.test("symlinks on the way: owned by root or nitro", () => {
  const link = (uid: number): Entry => ({ kind: "symlink", uid, mode: 0o777 });
  assert.equal(symlinkProblem(link(0), 1000), null);
  assert.equal(symlinkProblem(link(1000), 1000), null);
  assert.match(symlinkProblem(link(2000), 1000)!, /symlink owned by uid 2000/);
});

Deno.test("the private directory: a directory of nitro's uid, 0700 or less", () => {
  const uid = 1000;
  assert.equal(privateDirProblem(dir(uid, 0o700), uid), null);
  assert.match(privateDirProblem(dir(0, 0o700), uid)!, /owned by uid 0/);
  assert.match(privateDirProblem(dir(uid, 0o755), uid)!, /mode 0755/);
  assert.match(privateDirProblem(dir(uid, 0o1700), uid) ?? "", /^$/);
  assert.match(privateDirProblem(dir(uid, 0o710), uid)!, /group/);
  assert.match(
    privateDirProblem({ kind: "symlink", uid, mode: 0o777 }, uid)!,
    /a symlink/,
  );
});

Deno.test("leftovers: only nitro's FIFOs and its temporary socket", () => {
  const e = (kind: Entry["kind"], uid = 7): Entry => ({ kind, uid, mode: 0 });
  assert.ok(isLeftover("web", e("fifo"), 7));
  assert.ok(isLeftover(".ready-web", e("fifo"), 7));
  assert.ok(isLeftover(BIND_NAME, e("socket"), 7));
  assert.ok(!isLeftover("web", e("fifo", 8), 7), "someone else's FIFO");
  assert.ok(!isLeftover("web", e("socket"), 7));
  for (const kind of ["file", "directory", "symlink", "other"] as const) {
    assert.ok(!isLeftover("web", e(kind), 7), kind);
  }
});

Deno.test("FIFO names: one path component", () => {
  assert.equal(fifoNameProblem("web"), null);
  assert.equal(fifoNameProblem(".ready-web-12"), null);
  for (const bad of ["", ".", "..", "a/b", "../x", "a\0b"]) {
    assert.ok(fifoNameProblem(bad), JSON.stringify(bad));
  }
});

Deno.test("what is at the socket path: only a stale socket of ours is removed", () => {
  const p = "/run/n.sock";
  const sock = (uid: number): Entry => ({ kind: "socket", uid, mode: 0o600 });
  assert.equal(
    staleSocketAction(p, { entry: null, live: false, uid: 5 }),
    "free",
  );
  assert.equal(
    staleSocketAction(p, { entry: sock(5), live: false, uid: 5 }),
    "remove",
  );
  assert.deepEqual(
    staleSocketAction(p, { entry: sock(5), live: true, uid: 5 }),
    {
      refuse: "another nitro is running on /run/n.sock",
    },
  );
  const foreign = staleSocketAction(p, { entry: sock(6), live: false, uid: 5 });
  assert.match((foreign as { refuse: string }).refuse, /owned by uid 6/);
  for (const kind of ["file", "directory", "symlink", "fifo"] as const) {
    const r = staleSocketAction(p, {
      entry: { kind, uid: 5, mode: 0o600 },
      live: false,
      uid: 5,
    });
    assert.match(
      (r as { refuse: string }).refuse,
      new RegExp(`/run/n.sock exists and is a ${kind}, not a socket`),
    );
  }
});

// --- the directory chain, on real files --------------------------------------

Deno.test("secureDirectory: creates what is missing 0700; follows safe symlinks", async () => {
  await withTemp((root) => {
    const deep = join(root, "a", "b");
    assert.equal(secureDirectory(deep), deep);
    assert.equal(mode(join(root, "a")), 0o700);
    assert.equal(mode(deep), 0o700);
    // A symlink of ours to a safe directory resolves to the real path, with
    // "..", relative targets and chains handled as the kernel does.
    Deno.symlinkSync("a/b", join(root, "l1"));
    Deno.symlinkSync("l1/..", join(root, "l2"));
    assert.equal(secureDirectory(join(root, "l1")), deep);
    assert.equal(secureDirectory(join(root, "l2", "b")), deep);
    // A world-writable sticky directory (as /tmp) is fine.
    const sticky = join(root, "sticky");
    Deno.mkdirSync(sticky);
    Deno.chmodSync(sticky, 0o1777);
    assert.equal(secureDirectory(join(sticky, "x")), join(sticky, "x"));
    // A loop is an error, not a hang.
    Deno.symlinkSync("loop", join(root, "loop"));
    assert.throws(() => secureDirectory(join(root, "loop")), /symlinks/);
  });
});

Deno.test({
  name:
    "secureDirectory refuses what another user could replace, naming it, creating nothing",
  ...asRoot,
  fn: () =>
    withTemp((root) => {
      const open = join(root, "open");
      Deno.mkdirSync(open);
      Deno.chmodSync(open, 0o777);
      assert.throws(
        () => secureDirectory(join(open, "sub")),
        (e) =>
          e instanceof UnsafePath &&
          e.message ===
            `${open}: writable by group or others without the sticky bit (mode 0777)`,
      );
      assert.deepEqual([...Deno.readDirSync(open)], [], "created nothing");

      const theirs = join(root, "theirs");
      Deno.mkdirSync(theirs);
      Deno.chownSync(theirs, OTHER, OTHER);
      assert.throws(
        () => secureDirectory(theirs),
        new RegExp(`${theirs}: owned by uid ${OTHER}`),
      );
      // A symlink (ours) to their directory: the target is what counts.
      Deno.symlinkSync(theirs, join(root, "to-theirs"));
      assert.throws(
        () => secureDirectory(join(root, "to-theirs")),
        new RegExp(`${theirs}: owned by uid ${OTHER}`),
      );
      // Their symlink to our directory: they could swap it.
      const mine = join(root, "mine");
      Deno.mkdirSync(mine);
      const link = join(root, "their-link");
      Deno.symlinkSync(mine, link);
      new Deno.Command("chown", { args: ["-h", `${OTHER}`, link] })
        .outputSync();
      assert.throws(
        () => secureDirectory(link),
        new RegExp(`${link}: a symlink owned by uid ${OTHER}`),
      );
    }),
});

// --- the runtime directory ----------------------------------------------------

Deno.test("RuntimeDir.open: creates 0700, removes nitro's leftover FIFOs", async () => {
  await withTemp((root) => {
    const path = runtimeDirFor(join(root, "nitro.sock"));
    assert.equal(path, join(root, "nitro.sock.d"));
    const rt = RuntimeDir.open(path);
    assert.equal(rt.path, path);
    assert.equal(mode(path), 0o700);
    assert.ok(Deno.lstatSync(path).isDirectory);
    // A crash left FIFOs: they are nitro's, and go.
    mkfifo(join(path, "web"));
    mkfifo(join(path, ".ready-web-1"));
    RuntimeDir.open(path);
    assert.deepEqual([...Deno.readDirSync(path)], []);
  });
});

Deno.test("RuntimeDir.open: anything else inside is refused, and nothing is touched", async () => {
  await withTemp((root) => {
    const path = join(root, "nitro.sock.d");
    RuntimeDir.open(path);
    mkfifo(join(path, "web"));
    Deno.writeTextFileSync(join(path, "notes"), "keep me");
    Deno.mkdirSync(join(path, "sub"));
    Deno.writeTextFileSync(join(path, "sub", "f"), "keep me too");
    assert.throws(
      () => RuntimeDir.open(path),
      (e) =>
        e instanceof UnsafePath && e.message.startsWith(`${path}: holds `) &&
        /not nitro's/.test(e.message),
    );
    assert.ok(Deno.lstatSync(join(path, "web")).isFifo, "FIFO not removed");
    assert.equal(Deno.readTextFileSync(join(path, "notes")), "keep me");
    assert.equal(Deno.readTextFileSync(join(path, "sub", "f")), "keep me too");
  });
});

Deno.test("RuntimeDir.open: a symlink, a file, or an open directory is refused", async () => {
  await withTemp((root) => {
    const target = join(root, "target");
    Deno.mkdirSync(target, { mode: 0o700 });
    Deno.writeTextFileSync(join(target, "precious"), "x");
    const link = join(root, "link.d");
    Deno.symlinkSync(target, link);
    assert.throws(
      () => RuntimeDir.open(link),
      /link\.d: not a directory of nitro's \(a symlink\)/,
    );
    assert.equal(Deno.readTextFileSync(join(target, "precious")), "x");

    const file = join(root, "file.d");
    Deno.writeTextFileSync(file, "data");
    assert.throws(() => RuntimeDir.open(file), /\(a file\)/);
    assert.equal(Deno.readTextFileSync(file), "data");

    const wide = join(root, "wide.d");
    Deno.mkdirSync(wide);
    Deno.chmodSync(wide, 0o755);
    assert.throws(
      () => RuntimeDir.open(wide),
      /wide\.d: open to group or others \(mode 0755\)/,
    );
  });
});

Deno.test({
  name: "RuntimeDir.open: a directory of another uid is refused",
  ...asRoot,
  fn: () =>
    withTemp((root) => {
      const path = join(root, "nitro.sock.d");
      Deno.mkdirSync(path, { mode: 0o700 });
      Deno.chownSync(path, OTHER, OTHER);
      assert.throws(
        () => RuntimeDir.open(path),
        new RegExp(`${path}: owned by uid ${OTHER}, not nitro's uid ${ME}`),
      );
    }),
});

Deno.test("makeFifo: a FIFO of nitro's, 0600; never over something else", async () => {
  await withTemp((root) => {
    const rt = RuntimeDir.open(join(root, "nitro.sock.d"));
    const path = rt.makeFifo("web");
    const info = Deno.lstatSync(path);
    assert.ok(info.isFifo);
    assert.equal(info.uid, ME);
    assert.equal(info.mode! & 0o7777, 0o600);
    assert.ok(rt.isFifo("web"));
    // Made again: replaced (still a FIFO).
    assert.equal(rt.makeFifo("web"), path);
    assert.ok(Deno.lstatSync(path).isFifo);
    // A regular file of that name is neither replaced nor removed.
    Deno.writeTextFileSync(join(rt.path, "db"), "data");
    assert.throws(() => rt.makeFifo("db"), /exists and is not a FIFO/);
    assert.equal(rt.removeFifo("db"), false);
    assert.equal(Deno.readTextFileSync(join(rt.path, "db")), "data");
    for (const bad of ["", "..", "a/b"]) {
      assert.throws(() => rt.makeFifo(bad), UnsafePath);
    }
    assert.equal(rt.removeFifo("web"), true);
    assert.equal(rt.isFifo("web"), false);
    // remove(): FIFOs go, but the directory stays while "db" is in it.
    rt.makeFifo(".ready-x");
    rt.remove();
    assert.deepEqual([...Deno.readDirSync(rt.path)].map((e) => e.name), ["db"]);
    Deno.removeSync(join(rt.path, "db"));
    rt.remove();
    assert.throws(() => Deno.lstatSync(rt.path), Deno.errors.NotFound);
  });
});

Deno.test("makeFifo re-checks the directory", async () => {
  await withTemp((root) => {
    const path = join(root, "nitro.sock.d");
    const rt = RuntimeDir.open(path);
    rt.makeFifo("web");
    assert.ok(rt.isFifo("web"));
    // Swapped for a symlink behind nitro's back: refused at the next FIFO.
    Deno.renameSync(path, join(root, "moved"));
    Deno.symlinkSync(join(root, "moved"), path);
    assert.throws(() => rt.makeFifo("db"), /a symlink/);
  });
});

Deno.test("verify: a directory put in the runtime directory's place is refused, however right it looks", async () => {
  await withTemp((root) => {
    const path = join(root, "nitro.sock.d");
    const rt = RuntimeDir.open(path);
    rt.verify();
    // Removed while nitro runs (a cleaner of a shared /tmp), and another
    // made in its place: nitro's uid, 0700, yet not the one nitro made.
    Deno.removeSync(path, { recursive: true });
    Deno.mkdirSync(path, { mode: 0o700 });
    assert.throws(() => rt.verify(), /not the directory nitro made/);
    assert.throws(() => rt.makeFifo("web"), /not the directory nitro made/);
  });
});

// --- log pipes ----------------------------------------------------------------

/** `sh -c SCRIPT` with stdout piped; its output as it arrives. */
function shell(script: string) {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const read = (async () => {
    for await (const chunk of child.stdout) out += dec.decode(chunk);
  })();
  return {
    child,
    get out() {
      return out;
    },
    read,
  };
}

Deno.test("LogPipes: the pipe outlives writers; release lets the logger read to EOF", async () => {
  await withTemp(async (root) => {
    const runtime = RuntimeDir.open(join(root, "nitro.sock.d"));
    const pipes = new LogPipes(runtime);
    const path = pipes.ensure("log");
    assert.ok(pipes.has("log"));
    assert.equal(pipes.ensure("log"), path);
    const reader = shell(`exec cat < '${path}'`);
    let ended = false;
    reader.child.status.then(() => ended = true);
    try {
      await new Deno.Command("/bin/sh", {
        args: ["-c", `echo one > '${path}'`],
      }).output();
      await eventually(() => reader.out === "one\n", 10_000, "first line");
      // The writer is gone, but nitro holds the pipe: no EOF. A second
      // writer reaches the same reader.
      assert.equal(ended, false);
      await new Deno.Command("/bin/sh", {
        args: ["-c", `echo two > '${path}'`],
      }).output();
      await eventually(() => reader.out === "one\ntwo\n", 10_000, "two");
      assert.equal(ended, false, "EOF while nitro held the pipe");

      pipes.release("log");
      const status = await reader.child.status;
      assert.equal(status.code, 0);
      await reader.read;
      assert.equal(reader.out, "one\ntwo\n");
      // Released but still known; wanted again, the same FIFO is held.
      assert.ok(pipes.has("log"));
      assert.equal(pipes.ensure("log"), path);
      assert.ok(Deno.lstatSync(path).isFifo);
    } finally {
      try {
        reader.child.kill("SIGKILL");
      } catch {
        // Ended.
      }
      await reader.child.status;
    }
    pipes.drop("log");
    assert.equal(pipes.has("log"), false);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    pipes.ensure("a");
    pipes.closeAll();
    assert.deepEqual([...Deno.readDirSync(runtime.path)], []);
    runtime.remove();
    assert.throws(() => Deno.lstatSync(runtime.path), Deno.errors.NotFound);
  });
});

Deno.test("LogPipes.release: with a writer still there, EOF comes when it ends", async () => {
  await withTemp(async (root) => {
    const runtime = RuntimeDir.open(join(root, "nitro.sock.d"));
    const pipes = new LogPipes(runtime);
    const path = pipes.ensure("log");
    const reader = shell(`exec cat < '${path}'`);
    // The writer opens the pipe, says so, then waits for a go to write.
    const go = join(root, "go");
    const opened = join(root, "opened");
    mkfifo(go);
    const writer = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        `exec > '${path}'; : > '${opened}'; read _ < '${go}'; echo last`,
      ],
    }).spawn();
    try {
      await eventually(() => exists(opened), 10_000, "writer to open");
      pipes.release("log");
      // EOF only after the last writer: "last" still arrives.
      await Deno.writeTextFile(go, "\n");
      assert.equal((await writer.status).code, 0);
      assert.equal((await reader.child.status).code, 0);
      await reader.read;
      assert.equal(reader.out, "last\n");
    } finally {
      for (const c of [reader.child, writer]) {
        try {
          c.kill("SIGKILL");
        } catch {
          // Ended.
        }
        await c.status;
      }
      pipes.closeAll();
    }
  });
});

// --- the control socket --------------------------------------------------------

Deno.test("listenControl: socket 0600 from the start, directory 0700, no temporary left", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "run", "nitro.sock");
    const { listener } = await listenControl(sock);
    try {
      assert.equal(mode(join(root, "run")), 0o700);
      const info = Deno.lstatSync(sock);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o7777, 0o600);
      assert.equal(mode(`${sock}.d`), 0o700);
      assert.deepEqual([...Deno.readDirSync(`${sock}.d`)], []);
      const accepted = listener.accept();
      const conn = await Deno.connect({ transport: "unix", path: sock });
      (await accepted).close();
      conn.close();
      // Another listener on it: refused as a live nitro.
      await assert.rejects(
        listenControl(sock),
        new RegExp(`another nitro is running on ${sock}`),
      );
    } finally {
      listener.close();
    }
    // Now stale: replaced.
    assert.ok(Deno.lstatSync(sock).isSocket);
    (await listenControl(sock)).listener.close();
  });
});

Deno.test("listenControl: a file, directory, symlink or FIFO at the socket path is left alone", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "nitro.sock");
    const precious = join(root, "precious");
    Deno.writeTextFileSync(precious, "data");
    const cases: [string, () => void][] = [
      ["file", () => Deno.writeTextFileSync(sock, "data")],
      ["directory", () => Deno.mkdirSync(sock)],
      ["symlink", () => Deno.symlinkSync(precious, sock)],
      ["fifo", () => mkfifo(sock)],
    ];
    for (const [kind, make] of cases) {
      make();
      const before = Deno.lstatSync(sock);
      await assert.rejects(
        listenControl(sock),
        (e) =>
          e instanceof UnsafePath &&
          e.message.startsWith(`${sock} exists and is a ${kind}, not a socket`),
      );
      const after = Deno.lstatSync(sock);
      assert.equal(after.ino, before.ino, kind);
      assert.equal(after.mtime?.getTime(), before.mtime?.getTime(), kind);
      assert.equal(Deno.readTextFileSync(precious), "data");
      Deno.removeSync(sock);
    }
    // Nothing was created beside it either.
    assert.throws(() => Deno.lstatSync(`${sock}.d`), Deno.errors.NotFound);
  });
});

Deno.test("listenControl: stuff in the runtime directory is refused before binding", async () => {
  await withTemp(async (root) => {
    const sock = join(root, "nitro.sock");
    Deno.mkdirSync(`${sock}.d`, { mode: 0o700 });
    Deno.writeTextFileSync(`${sock}.d/wlog`, "not a FIFO");
    await assert.rejects(listenControl(sock), /nitro\.sock\.d: holds wlog/);
    assert.equal(Deno.readTextFileSync(`${sock}.d/wlog`), "not a FIFO");
    assert.throws(() => Deno.lstatSync(sock), Deno.errors.NotFound);
  });
});
