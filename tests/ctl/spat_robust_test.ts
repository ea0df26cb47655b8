/**
 * Our nitroctl against C nitro when things go wrong: a C nitro that does
 * not answer, Ctrl-C, `-t`, rubbish datagrams and replies over 64 KiB; and
 * the commands that end in C nitro's way: events (until Ctrl-C), Shutdown,
 * Reboot. No reply socket may be left in the notify directory.
 */

import assert from "node:assert/strict";
import { parseServerLine } from "../../src/protocol.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import { eventually } from "../helpers/nitro.ts";
import {
  cNitroOrSkip,
  OUR_NITROCTL,
  run,
  RunningCNitro,
} from "./spat_helpers.ts";

const READY = {
  run: "#!/bin/sh\necho >&3\nexec sleep 1000 3>&-\n",
  "notification-fd": "3\n",
};

/** A nitroctl started in the background, its stdout read as it comes. */
class Background {
  readonly child: Deno.ChildProcess;
  text = "";
  readonly #done: Promise<void>;

  constructor(program: string, args: string[], sock: string) {
    const child = new Deno.Command(program, {
      args,
      env: { NITRO_SOCK: sock, DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.child = child;
    this.#done = (async () => {
      for await (
        const chunk of child.stdout.pipeThrough(new TextDecoderStream())
      ) {
        this.text += chunk;
      }
    })();
  }

  /** Ctrl-C; resolve with the exit status and everything it printed. */
  async interrupt(): Promise<{ code: number; lines: string[] }> {
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    const { code } = await this.child.status;
    clearTimeout(timer);
    await this.#done;
    return { code, lines: this.text.split("\n").filter((l) => l !== "") };
  }
}

Deno.test("a C nitro that does not answer: exit 111 (or 3 with -t), no reply socket left", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, { a: READY });
  nitro.child.kill("SIGSTOP");
  try {
    const silent = await nitro.ours(["list"]);
    assert.deepEqual(silent, {
      code: 111,
      stdout: "",
      stderr:
        `nitroctl: nitro at ${nitro.sock} does not answer (nothing within 5 s)\n`,
    });
    assert.deepEqual(nitro.leftovers(), []);
    const ours = await nitro.ours(["-t", "0.3", "start", "a"]);
    const theirs = await nitro.cctl(["-t", "0.3", "start", "a"]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, {
      code: 3,
      stdout: "",
      stderr: "nitroctl: action timed out\n",
    });
    assert.deepEqual(nitro.leftovers(), []);
  } finally {
    nitro.child.kill("SIGCONT");
  }
});

Deno.test("Ctrl-C removes the reply sockets: 130 for a wait, 0 for events, as C's", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  await using nitro = await RunningCNitro.start(c, { a: READY });
  await nitro.cctl(["start", "a"]);
  const waitDown = ["wait-down", "a"];
  const theirs = new Background(c.nitroctl, waitDown, nitro.sock);
  const ours = new Background(
    Deno.execPath(),
    [...OUR_NITROCTL, ...waitDown],
    nitro.sock,
  );
  await eventually(
    () => nitro.leftovers().length === 2,
    20_000,
    "two reply sockets",
  );
  assert.deepEqual(await ours.interrupt(), { code: 130, lines: [] });
  assert.deepEqual(await theirs.interrupt(), { code: 130, lines: [] });
  assert.deepEqual(nitro.leftovers(), []);

  // events: until Ctrl-C, each change as `STATE name`.
  const cEvents = new Background(c.nitroctl, ["events"], nitro.sock);
  const ourEvents = new Background(
    Deno.execPath(),
    [...OUR_NITROCTL, "events"],
    nitro.sock,
  );
  const json = new Background(
    Deno.execPath(),
    [...OUR_NITROCTL, "--json", "events"],
    nitro.sock,
  );
  await eventually(
    () => nitro.leftovers().filter((n) => n.startsWith("ALL,")).length === 3,
    20_000,
    "three ALL sockets",
  );
  assert.equal((await nitro.cctl(["restart", "a"])).code, 0);
  await eventually(() => ourEvents.text.includes("UP a\n"), 10_000, "UP a");
  await eventually(() => json.text.includes('"UP"'), 10_000, "UP a in JSON");
  const expected = ["RESTART a", "DOWN a", "STARTING a", "UP a"];
  assert.deepEqual(await ourEvents.interrupt(), { code: 0, lines: expected });
  const cOut = await cEvents.interrupt();
  assert.equal(cOut.code, 0);
  // C's nitroctl may be interrupted before it read the last ones.
  assert.deepEqual(cOut.lines, expected.slice(0, cOut.lines.length));
  const jsonOut = await json.interrupt();
  assert.equal(jsonOut.code, 0);
  const events = jsonOut.lines.map((l) => JSON.parse(l));
  for (const event of events) {
    assert.ok(
      parseServerLine(JSON.stringify({ event })).ok,
      JSON.stringify(event),
    );
    assert.equal(event.pid, null); // C nitro does not say
  }
  assert.deepEqual(events.map((e) => `${e.state} ${e.name}`), expected);
  assert.deepEqual(nitro.leftovers(), []);
});

Deno.test("Shutdown and Reboot against C nitro: as C's nitroctl", async () => {
  const c = await cNitroOrSkip();
  if (c === null) return;
  for (const verb of ["Shutdown", "Reboot"]) {
    const outcomes = [];
    for (const side of ["c", "ours"] as const) {
      await using nitro = await RunningCNitro.start(c, { a: READY });
      await nitro.cctl(["start", "a"]);
      const r = side === "c"
        ? await nitro.cctl([verb])
        : await nitro.ours([verb]);
      outcomes.push(r);
      if (verb === "Shutdown") {
        // C nitro stops its services and ends (not being pid 1).
        const status = await nitro.child.status;
        assert.equal(
          status.code,
          0,
          `${side}: C nitro ended with ${status.code}`,
        );
      } else {
        // It execs itself again: same pid, a new socket, services back.
        await eventually(
          async () => (await nitro.cctl(["wait-up", "a"])).code === 0,
          20_000,
          "a up again",
        );
        assert.equal(
          (await nitro.cctl(["info"])).stdout.split("\n")[0],
          `nitro_pid ${nitro.child.pid}`,
        );
      }
      assert.deepEqual(nitro.leftovers(), []);
    }
    assert.deepEqual(outcomes[1], outcomes[0], verb);
    assert.deepEqual(outcomes[0], { code: 0, stdout: "", stderr: "" });
  }
});

Deno.test("rubbish datagrams and replies over 64 KiB are ignored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spat-fake-" });
  const fake = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--unstable-net",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-net",
      `${REPO_ROOT}tests/ctl/spat_fake_nitro.ts`,
      dir,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = fake.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value, "ready\n");
    reader.releaseLock();
    const sock = `${dir}/nitro.sock`;
    const ours = (args: string[]) =>
      run(Deno.execPath(), [...OUR_NITROCTL, ...args], sock);
    // The first 64 KiB of the oversized reply list `big`: not taken.
    assert.deepEqual(await ours(["list"]), {
      code: 0,
      stdout: "UP x (pid 7) (wstatus 0) 3s\n",
      stderr: "",
    });
    assert.deepEqual(await ours(["pidof", "x"]), {
      code: 0,
      stdout: "7\n",
      stderr: "",
    });
    assert.deepEqual(await ours(["rescan"]), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual([...Deno.readDirSync(`${dir}/notify`)], []);
  } finally {
    fake.kill("SIGKILL");
    await fake.status;
    await fake.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
