/**
 * A root nitro against a hostile local user (issue "safe as root"), with a
 * real unprivileged user `nitro-test` (made with `useradd` if missing, and
 * left in place: tests run in parallel, so none may remove it) acting through
 * `runuser`:
 * - the socket in a world-writable directory, or behind a symlink to the
 *   user's own directory: nitro refuses to start, exit 111, naming the
 *   directory and the reason;
 * - the socket in a sticky world-writable directory (as /tmp): the user
 *   cannot move or replace nitro's runtime directory to redirect a log pipe
 *   into a root file; after restarts the file is untouched and logging works;
 * - the socket is never connectable by the user, at any moment of start-up;
 * - nitro deletes nothing that is not its own: a file at NITRO_SOCK, or
 *   strangers in its runtime directory, mean exit 111 with nothing touched;
 * - names with control characters, DEL or invalid UTF-8 are `bad-name`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  descendantsOf,
  eventually,
  Nitro,
  writeServices,
} from "../helpers/nitro.ts";
import { readOr, request, runNitro, sh, within } from "../helpers/daemon.ts";
import { type CommandResult, exists, runCommand } from "../helpers/common.ts";
import { asTestUser, TEST_USER, testUser } from "../helpers/test_user.ts";

const USER = TEST_USER;

function run(cmd: string, args: string[]): Promise<CommandResult> {
  return runCommand(cmd, { args });
}

const user = await testUser();
const skip = typeof user === "string" ? user : null;
if (skip !== null) console.warn(`security_test: skipped (${skip})`);
const uid = typeof user === "number" ? user : -1;

const asUser = asTestUser;

/**
 * Run `fn` on a fresh temporary directory the test user can look into
 * (0755, root's), removed afterwards.
 */
async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "nitro-sec-" });
  Deno.chmodSync(root, 0o755);
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** A nitro harness whose socket is in `root/tmp`, sticky and 1777. */
function stickyNitro(root: string): Nitro {
  const sticky = join(root, "tmp");
  Deno.mkdirSync(sticky);
  Deno.chmodSync(sticky, 0o1777);
  return new Nitro(sticky);
}

/** A directory owned by the test user. */
function userDir(path: string): string {
  Deno.mkdirSync(path, { mode: 0o755 });
  Deno.chownSync(path, uid, uid);
  return path;
}

/** A root-owned file that no service may ever write. */
function precious(root: string): string {
  const target = join(root, "target");
  Deno.writeTextFileSync(target, "precious\n");
  Deno.chmodSync(target, 0o644);
  return target;
}

/**
 * Run nitro (on an empty service directory) with its socket at `sock`:
 * it must refuse with exit 111; its one line, without "nitro: ".
 */
async function refusal(root: string, sock: string): Promise<string> {
  const svc = join(root, "svc");
  Deno.mkdirSync(svc, { recursive: true });
  const r = await runNitro([svc], sock);
  assert.equal(r.code, 111, r.stderr);
  return oneLine(r.stderr);
}

/** nitro's one line on stderr, without its "nitro: " prefix. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `not one line:\n${stderr}`);
  const at = lines[0].indexOf("nitro: ");
  assert.ok(at >= 0, lines[0]);
  return lines[0].slice(at + "nitro: ".length);
}

Deno.test({
  name:
    "socket in a world-writable directory, or behind a symlink to the user's: nitro refuses (111), naming the directory and why",
  ignore: skip !== null,
  fn: () =>
    withRoot(async (root) => {
      const target = precious(root);
      const open = join(root, "open");
      Deno.mkdirSync(open);
      Deno.chmodSync(open, 0o777);
      // The attack of the issue, prepared in advance: a directory of the
      // user's in place of the runtime directory, holding `wlog -> target`.
      const fake = userDir(join(open, "nitro.sock.d"));
      const ln = await asUser("ln", "-s", target, join(fake, "wlog"));
      assert.equal(ln.code, 0, ln.stderr);
      assert.equal(
        await refusal(root, join(open, "nitro.sock")),
        `socket ${open}/nitro.sock: ${open}: writable by group or ` +
          "others without the sticky bit (mode 0777)",
      );
      assert.deepEqual(
        [...Deno.readDirSync(open)].map((e) => e.name),
        ["nitro.sock.d"],
        "nitro created nothing there",
      );
      assert.equal(Deno.readLinkSync(join(fake, "wlog")), target);
      assert.equal(Deno.readTextFileSync(target), "precious\n");

      // A symlink (root's) to a directory of the user's.
      const theirs = userDir(join(root, "theirs"));
      const link = join(root, "run");
      Deno.symlinkSync(theirs, link);
      assert.equal(
        await refusal(root, join(link, "nitro.sock")),
        `socket ${link}/nitro.sock: ${theirs}: owned by uid ${uid}, ` +
          `neither root nor nitro's uid 0`,
      );
      assert.deepEqual([...Deno.readDirSync(theirs)], []);
    }),
});

Deno.test({
  name:
    "socket in a sticky world-writable directory: the user cannot redirect a log pipe; restarts keep logging, the root file untouched",
  ignore: skip !== null,
  fn: () =>
    withRoot(async (root) => {
      const n = stickyNitro(root);
      const sticky = n.root;
      const target = precious(root);
      const out = join(root, "wlog.out");
      try {
        // `web` writes a numbered line every 50 ms into its logger `wlog`.
        writeServices(n.dir, {
          web: {
            run: sh(
              "i=0",
              "while :; do i=$((i+1)); echo tick $i; sleep 0.05; done",
            ),
            log: { link: "../wlog" },
          },
          wlog: { run: sh(`exec cat >> ${out}`) },
        });
        await n.start();
        const ticks = () => readOr(out).split("\n").filter((l) => l).length;
        await eventually(() => ticks() > 0, 10_000, "first log line");
        const runtime = join(sticky, "nitro.sock.d");

        // The attack: move nitro's runtime directory away, or put one of
        // the user's in its place with `wlog -> target`.
        const fake = join(sticky, "fake");
        assert.equal((await asUser("mkdir", fake)).code, 0);
        assert.equal(
          (await asUser("ln", "-s", target, `${fake}/wlog`)).code,
          0,
        );
        const attempts = [
          ["mv", runtime, join(sticky, "moved")],
          ["mv", "-T", fake, runtime],
          ["rm", "-rf", runtime],
          ["ln", "-s", target, join(runtime, "x")],
          ["ls", runtime],
          ["mv", n.sock, join(sticky, "sock2")],
        ];
        for (const argv of attempts) {
          const r = await asUser(...argv);
          assert.notEqual(r.code, 0, `the user could: ${argv.join(" ")}`);
        }
        const info = Deno.lstatSync(runtime);
        assert.ok(info.isDirectory && info.uid === 0);
        assert.equal(info.mode! & 0o7777, 0o700);

        // Restarts reopen the pipe by path: it is still nitro's own.
        for (const name of ["wlog", "web", "wlog"]) {
          const before = ticks();
          const r = await n.ctl(["-t", "10", "restart", name]);
          assert.equal(r.code, 0, r.stderr);
          await eventually(() => ticks() > before + 2, 10_000, "logging");
        }
        const states = await n.states();
        assert.equal(states.web.state, "UP");
        assert.equal(states.wlog.state, "UP");
        assert.equal(Deno.readTextFileSync(target), "precious\n");
        assert.ok(Deno.lstatSync(fake).isDirectory, "the user's own stays");
      } finally {
        await n.stop();
      }
    }),
});

/** The user's connect loop: how often it saw the socket, and what it got. */
const PROBE = `
const [sock, ready] = Deno.args;
const deadline = Date.now() + 30_000;
let attempts = 0, seen = 0, connected = 0;
const modes = new Set(), errors = new Set();
Deno.writeTextFileSync(ready, "");
while (Date.now() < deadline && seen < 300) {
  attempts++;
  let info = null;
  try { info = Deno.lstatSync(sock); } catch { /* not yet */ }
  if (info) { seen++; modes.add(info.mode.toString(8)); }
  try {
    (await Deno.connect({ transport: "unix", path: sock })).close();
    connected++;
  } catch (e) { errors.add(e.name); }
  if (!info) await new Promise((r) => setTimeout(r, 1));
}
console.log(JSON.stringify({ attempts, seen, connected,
  modes: [...modes], errors: [...errors] }));
`;

Deno.test({
  name:
    "the socket is never connectable by another user, at any moment of start-up",
  ignore: skip !== null,
  fn: () =>
    withRoot(async (root) => {
      const theirs = userDir(join(root, "user"));
      const script = join(theirs, "probe.js");
      Deno.writeTextFileSync(script, PROBE);
      const ready = join(theirs, "ready");
      const n = stickyNitro(root);
      const probe = new Deno.Command("runuser", {
        args: [
          "-u",
          USER,
          "--",
          "env",
          `DENO_DIR=${theirs}/deno`,
          `HOME=${theirs}`,
          "NO_COLOR=1",
          Deno.execPath(),
          "run",
          "--quiet",
          "--allow-all",
          script,
          n.sock,
          ready,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      try {
        await eventually(() => exists(ready), 20_000, "the probe to start");
        await n.start();
        const out = await within(probe.output(), 40_000, "the user's probe");
        const dec = new TextDecoder();
        assert.equal(out.code, 0, dec.decode(out.stderr));
        const r = JSON.parse(dec.decode(out.stdout));
        assert.equal(r.connected, 0, "the user connected");
        assert.equal(r.seen, 300, "the probe saw the socket");
        assert.deepEqual(r.modes, ["140600"], "a socket, 0600 from the start");
        // Before it existed: not found; then: permission denied, every time.
        assert.ok(r.errors.includes("PermissionDenied"), r.errors);
        assert.deepEqual(
          r.errors.filter((e: string) => e !== "NotFound"),
          ["PermissionDenied"],
        );
        // nitro itself still answers root.
        assert.equal((await n.ctl(["list"])).code, 0);
      } finally {
        for (const pid of descendantsOf(probe.pid)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // Gone.
          }
        }
        try {
          probe.kill("SIGKILL");
        } catch {
          // Ended.
        }
        await probe.status;
        await n.stop();
      }
    }),
});

Deno.test({
  name:
    "nitro deletes only what is its own: a file at NITRO_SOCK, strangers in its runtime directory → 111, untouched",
  ignore: skip !== null,
  fn: () =>
    withRoot(async (root) => {
      const svc = join(root, "svc");
      const sock = join(root, "nitro.sock");
      Deno.writeTextFileSync(sock, "a user's file\n");
      assert.equal(
        await refusal(root, sock),
        `${sock} exists and is a file, not a socket; nitro removes ` +
          "only a stale socket of its own, so it leaves this alone",
      );
      assert.equal(Deno.readTextFileSync(sock), "a user's file\n");
      Deno.removeSync(sock);

      // A runtime directory holding a file, a directory and a FIFO.
      const runtime = `${sock}.d`;
      Deno.mkdirSync(join(runtime, "sub"), { recursive: true, mode: 0o700 });
      Deno.writeTextFileSync(join(runtime, "sub", "keep"), "keep\n");
      const mk = await run("mkfifo", [join(runtime, "web")]);
      assert.equal(mk.code, 0);
      assert.match(
        await refusal(root, sock),
        new RegExp(
          `^${runtime}: holds sub \\(a directory owned by uid 0\\)`,
        ),
      );
      assert.equal(
        Deno.readTextFileSync(join(runtime, "sub", "keep")),
        "keep\n",
      );
      assert.ok(Deno.lstatSync(join(runtime, "web")).isFifo, "FIFO kept too");
      assert.ok(!exists(sock), "no socket left behind");

      // Once only nitro's leftovers remain, it starts and clears them.
      Deno.removeSync(join(runtime, "sub"), { recursive: true });
      const n = new Nitro(root, { dir: svc });
      try {
        await n.start();
        assert.deepEqual([...Deno.readDirSync(runtime)], []);
      } finally {
        await n.stop();
      }
    }),
});

Deno.test("names with control characters, DEL or invalid UTF-8: bad-name from the daemon, 111 from nitroctl", async () => {
  const n = await Nitro.create({ "tpl@": { run: sh("exec sleep 1000") } });
  try {
    await n.start();
    // Terminal injection through an instance name.
    const esc = await n.ctl(["up", "tpl@a\x1b[2Jb"]);
    assert.equal(esc.code, 111);
    assert.match(esc.stderr, /control character 0x1b/);
    // The name is echoed with its escape made visible, never raw.
    assert.ok(!esc.stderr.includes("\x1b"), JSON.stringify(esc.stderr));
    // Straight through the protocol: NUL, DEL, a lone surrogate.
    for (const name of ["web\0", "tpl@\x7f", "tpl@\ud800"]) {
      const r = await request(n.sock, { op: "up", services: [name] });
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.equal(
        (r.error as { code: string }).code,
        "bad-name",
        JSON.stringify(name),
      );
    }
    const list = await n.ctl(["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, "", "an instance was made anyway");
  } finally {
    await n.stop();
  }
});
