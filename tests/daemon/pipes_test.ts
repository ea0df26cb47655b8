/**
 * Tests of src/daemon/pipes.ts on real FIFOs: what a logger finds in its
 * pipe after a restart, which FIFO is held when, and what dropping does.
 * The pipe's lifetime against real reader and writer processes (EOF only
 * after release and the last writer) is tested in
 * tests/daemon/runtime_dir_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { LogPipes } from "../../src/daemon/pipes.ts";
import { RuntimeDir } from "../../src/daemon/runtime_dir.ts";

function withPipes(fn: (pipes: LogPipes, runtime: RuntimeDir) => void): void {
  const root = Deno.makeTempDirSync({ prefix: "pipes_test_" });
  const runtime = RuntimeDir.open(join(root, "nitro.sock.d"));
  const pipes = new LogPipes(runtime);
  try {
    fn(pipes, runtime);
  } finally {
    pipes.closeAll();
    Deno.removeSync(root, { recursive: true });
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Write `line` as a service would, with no logger reading. */
function writeLine(path: string, line: string): void {
  // nitro's read-write hold is a reader: opening for writing does not block.
  using w = Deno.openSync(path, { write: true });
  w.writeSync(new TextEncoder().encode(line));
}

/** Read what is in the pipe now, as a (re)started logger would. */
function readNow(path: string): string {
  // nitro's hold is a writer too: the read finds the data, never EOF.
  using r = Deno.openSync(path, { read: true });
  const buf = new Uint8Array(4096);
  const n = r.readSync(buf) ?? 0;
  return text(buf.subarray(0, n));
}

Deno.test("ensure: a FIFO in the runtime directory; written while no logger reads, the data waits", () => {
  withPipes((pipes, runtime) => {
    const path = pipes.ensure("web-log");
    assert.equal(path, runtime.pathOf("web-log"));
    assert.ok(Deno.lstatSync(path).isFifo);
    writeLine(path, "one\n");
    writeLine(path, "two\n");
    // The writers are gone and no logger ran: nothing was lost.
    assert.equal(readNow(path), "one\ntwo\n");
  });
});

Deno.test("release then ensure holds the same FIFO; drop loses the unread data", () => {
  withPipes((pipes) => {
    const path = pipes.ensure("log");
    // A logger still reading it: while it is open, its inode cannot be
    // reused, so a new FIFO would show a new inode.
    using logger = Deno.openSync(path, { read: true, write: true });
    pipes.release("log");
    pipes.release("log"); // Twice: nothing more happens.
    assert.ok(pipes.has("log"));
    // Released: ensure takes back the same FIFO, not a new one.
    assert.equal(pipes.ensure("log"), path);
    assert.equal(Deno.lstatSync(path).ino, logger.statSync().ino);

    writeLine(path, "dropped\n");
    pipes.drop("log");
    assert.equal(pipes.has("log"), false);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    assert.equal(pipes.ensure("log"), path);
    writeLine(path, "new\n");
    assert.equal(readNow(path), "new\n");
  });
});

Deno.test("a released pipe whose FIFO was removed is made again", () => {
  withPipes((pipes, runtime) => {
    const path = pipes.ensure("log");
    pipes.release("log");
    runtime.removeFifo("log");
    assert.equal(pipes.ensure("log"), path);
    assert.ok(Deno.lstatSync(path).isFifo);
    writeLine(path, "x\n");
    assert.equal(readNow(path), "x\n");
  });
});

Deno.test("ensure hands out no path once the runtime directory was replaced, even for a pipe nitro holds", () => {
  withPipes((pipes, runtime) => {
    const path = pipes.ensure("LOG");
    // A cleaner removed the directory; another user put a FIFO of theirs
    // where nitro's was. A service would open it by that path.
    Deno.removeSync(runtime.path, { recursive: true });
    Deno.mkdirSync(runtime.path, { mode: 0o700 });
    Deno.writeTextFileSync(path, "");
    assert.throws(() => pipes.ensure("LOG"), /not the directory nitro made/);
    assert.throws(() => pipes.ensure("db"), /not the directory nitro made/);
  });
});

Deno.test("unknown loggers: release and drop do nothing; closeAll empties the directory", () => {
  withPipes((pipes, runtime) => {
    pipes.release("nobody");
    pipes.drop("nobody");
    assert.equal(pipes.has("nobody"), false);
    for (const name of ["a", "b", "c"]) pipes.ensure(name);
    pipes.release("b");
    assert.deepEqual(
      [...Deno.readDirSync(runtime.path)].map((e) => e.name).sort(),
      ["a", "b", "c"],
    );
    pipes.closeAll();
    assert.deepEqual([...Deno.readDirSync(runtime.path)], []);
    assert.deepEqual(["a", "b", "c"].map((n) => pipes.has(n)), [
      false,
      false,
      false,
    ]);
  });
});
