/**
 * nitro's own messages never hold it up: a service that stops output on
 * the terminal nitro shares with it (`tcflow(TCOOFF)`) must not stop
 * supervision. The writer is checked on its own with stand-in sinks, and
 * nitro for real on a pseudo-terminal made by `script(1)`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConsoleWriter } from "../../src/daemon/console.ts";
import { shq } from "../helpers/common.ts";
import { readOr } from "../helpers/daemon.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";

/** A sink that takes at most `step` bytes a write, and records them. */
function recorder(step = Infinity) {
  const chunks: string[] = [];
  const dec = new TextDecoder();
  return {
    text: () => chunks.join(""),
    writes: () => chunks.length,
    write(bytes: Uint8Array): Promise<number> {
      const n = Math.min(step, bytes.length);
      chunks.push(dec.decode(bytes.subarray(0, n)));
      return Promise.resolve(n);
    },
  };
}

Deno.test("console writer: lines in order, partial writes completed", async () => {
  const sink = recorder(3);
  const out = new ConsoleWriter(sink);
  out.say("- nitro: one");
  out.write("- nitro: waiting... ");
  out.write("done.\n");
  assert.equal(await out.flush(1000), true);
  assert.equal(sink.text(), "- nitro: one\n- nitro: waiting... done.\n");
});

Deno.test("console writer: a stalled console holds nothing up and drops past the bound", async () => {
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => release = resolve);
  const sink = recorder();
  const out = new ConsoleWriter({
    async write(bytes) {
      await stalled;
      return sink.write(bytes);
    },
  }, 100);
  out.say("x".repeat(49)); // in flight: 50 bytes
  out.say("y".repeat(49)); // waiting: 100 bytes in all
  out.say("z"); // beyond the bound: dropped
  assert.equal(out.dropped, 1);
  assert.equal(await out.flush(50), false); // the console is stopped
  release();
  assert.equal(await out.flush(1000), true);
  assert.equal(
    sink.text(),
    `${"x".repeat(49)}\n${"y".repeat(49)}\n` +
      "- nitro: the console held up output; 1 messages dropped\n",
  );
});

Deno.test("console writer: flush waits for a slow console as long as it moves", async () => {
  const sink = recorder(2); // two bytes a write, one write each 20 ms
  const out = new ConsoleWriter({
    async write(bytes) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return sink.write(bytes);
    },
  });
  out.say("0123456789abcdefghi"); // 10 writes: 200 ms in all
  assert.equal(await out.flush(100), true);
  assert.equal(sink.text(), "0123456789abcdefghi\n");
});

Deno.test("console writer: a closed stderr ends the writing, quietly", async () => {
  let calls = 0;
  const out = new ConsoleWriter({
    write() {
      calls++;
      return Promise.reject(new Deno.errors.BrokenPipe("gone"));
    },
  });
  out.say("a");
  assert.equal(await out.flush(1000), true);
  out.say("b");
  assert.equal(await out.flush(1000), true);
  assert.equal(calls, 1);
});

Deno.test("a service stopping output on nitro's terminal does not stop nitro", async () => {
  const n = await Nitro.create({
    // TCXONC (0x540A) with TCOOFF (0): output to the terminal stops, for
    // every process writing to it, until someone turns it back on.
    jam: {
      run: "#!/bin/sh\n" +
        "perl -e 'ioctl(STDERR, 0x540A, 0) or die' && echo stopped > done\n" +
        "exec sleep 1000\n",
    },
    other: { run: "#!/bin/sh\nexec sleep 1000\n" },
  });
  try {
    await n.start({
      wrap: (argv) => ["script", "-qfec", argv.map(shq).join(" "), "/dev/null"],
    });
    await eventually(() => readOr(`${n.dir}/jam/done`) !== "", 20_000, "jam");
    // Make nitro say something: a directory it must ignore, and a rescan.
    await Deno.mkdir(`${n.dir}/bad,name`);
    assert.equal((await n.ctl(["-t", "10", "rescan"])).code, 0);
    // Still supervising: answering, and restarting a killed service.
    const before = (await n.states()).other.pid!;
    Deno.kill(before, "SIGKILL");
    await eventually(
      async () => {
        const other = (await n.states()).other;
        return other.state === "UP" && other.pid !== before;
      },
      20_000,
      "other to be restarted",
    );
    assert.equal((await n.ctl(["-t", "10", "list"])).code, 0);
  } finally {
    await n.stop();
  }
});
