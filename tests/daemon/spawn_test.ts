/**
 * Starting scripts (src/daemon/spawn.ts and its parts): wait statuses for
 * every way to die, the argv a script gets, and the readiness pipe at fd N —
 * pure functions first, then real processes started with a `Spawner`.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  LOST_STATUS,
  waitStatus,
  waitStatusOfError,
} from "../../src/daemon/wait_status.ts";
import { parseShebang, scriptArgv } from "../../src/daemon/script_argv.ts";
import {
  chooseShell,
  commandLine,
  prologue,
  Spawner,
  type SpawnRequest,
} from "../../src/daemon/spawn.ts";
import { Children } from "../../src/daemon/children.ts";
import { MAX_BYTES_BEFORE_NEWLINE } from "../../src/daemon/readiness.ts";
import { delay, eventually, strayFds } from "../helpers/nitro.ts";

const spawner = new Spawner(new Children());

const enc = new TextEncoder();

Deno.test("waitStatus: exits and deaths by any signal, named or not", () => {
  strictEqual(waitStatus({ code: 0, signal: null }), 0);
  strictEqual(waitStatus({ code: 3, signal: null }), 3 << 8);
  strictEqual(waitStatus({ code: 255, signal: null }), 255 << 8);
  // An exit with 129 is not a SIGHUP: only `signal` says it was one.
  strictEqual(waitStatus({ code: 129, signal: null }), 129 << 8);
  strictEqual(waitStatus({ code: 129, signal: "SIGHUP" }), 1);
  strictEqual(waitStatus({ code: 137, signal: "SIGKILL" }), 9);
  strictEqual(waitStatus({ code: 143, signal: "SIGTERM" }), 15);
  // Past the old 1-15 table: these were reported as "exited 0".
  strictEqual(waitStatus({ code: 152, signal: "SIGXCPU" }), 24);
  strictEqual(waitStatus({ code: 159, signal: "SIGSYS" }), 31);
  strictEqual(waitStatus({ code: 144, signal: "SIGSTKFLT" }), 16);
  strictEqual(waitStatus({ code: 158, signal: "SIGPWR" }), 30);
  // Nonsense from the runtime is not turned into a success.
  strictEqual(waitStatus({ code: 12, signal: "SIGTERM" }), LOST_STATUS);
});

Deno.test("waitStatusOfError: realtime signals, which Deno cannot name", () => {
  strictEqual(waitStatusOfError(new TypeError("Invalid signal: 34")), 34);
  strictEqual(waitStatusOfError(new TypeError("Invalid signal: 64")), 64);
  strictEqual(waitStatusOfError(new Error("No child processes")), LOST_STATUS);
  strictEqual(
    waitStatusOfError(new TypeError("Invalid signal: 0")),
    LOST_STATUS,
  );
  strictEqual(waitStatusOfError("odd"), LOST_STATUS);
  ok(LOST_STATUS !== 0, "a lost status is never a success");
});

Deno.test("parseShebang: as Linux reads the #! line", () => {
  const p = (s: string) => parseShebang(enc.encode(s));
  deepStrictEqual(p("#!/bin/sh\necho\n"), ["/bin/sh"]);
  deepStrictEqual(p("#! /bin/sh -e \n"), ["/bin/sh", "-e"]);
  deepStrictEqual(p("#!/usr/bin/env  python3 -u\n"), [
    "/usr/bin/env",
    "python3 -u", // one argument, as the kernel passes it
  ]);
  deepStrictEqual(p("#!\t/bin/bash\t\n"), ["/bin/bash"]);
  strictEqual(p("echo hi\n"), null);
  strictEqual(p("\x7fELF\x02\x01\x01"), null);
  strictEqual(p("#!\n"), null, "no interpreter: left to exec");
  strictEqual(p("#!sh\n"), null, "relative: left to exec");
  strictEqual(p("#!/bin/sh"), null, "no newline: left to exec");
  strictEqual(p(`#!/bin/${"x".repeat(300)}\n`), null, "longer than 256");
});

Deno.test("scriptArgv: named as nitro names it, relative to the service", () => {
  const sh = enc.encode("#!/bin/sh\n");
  deepStrictEqual(scriptArgv("/sv/web/run", ["a"], "/sv/web", sh), {
    argv: ["/bin/sh", "run", "a"],
    argv0: null,
  });
  const elf = enc.encode("\x7fELF");
  deepStrictEqual(scriptArgv("/sv/web/finish", ["-1", "9"], "/sv/web", elf), {
    argv: ["./finish", "-1", "9"],
    argv0: "finish",
  });
  deepStrictEqual(scriptArgv("/sv/SYS/setup", [], "/sv/web", null), {
    argv: ["/sv/SYS/setup"],
    argv0: null,
  });
});

Deno.test("prologue: fd N must be above 2; exec -a only when asked", () => {
  ok(prologue({ notifyFd: 3, argv0: false }).includes('exec 3>"$3"'));
  ok(prologue({ notifyFd: 37, argv0: false }).includes('exec 37>"$3"'));
  ok(!prologue({ notifyFd: null, argv0: false }).includes("kill"));
  ok(!prologue({ notifyFd: null, argv0: false }).includes("exec -a"));
  ok(prologue({ notifyFd: null, argv0: true }).includes('exec -a "$a"'));
  throws(() => prologue({ notifyFd: 2, argv0: false }), RangeError);
  throws(() => prologue({ notifyFd: 1.5, argv0: false }), RangeError);
});

Deno.test("chooseShell: /bin/sh when it can, else bash, else what is possible", () => {
  const dash = { highFd: false, execA: false, bash: "/bin/bash" };
  const ash = { highFd: true, execA: true, bash: null };
  const none = { highFd: false, execA: false, bash: null };
  const plain = { highFd: false, argv0: false };
  const high = { highFd: true, argv0: false };
  const binary = { highFd: false, argv0: true };
  deepStrictEqual(chooseShell(plain, dash), { path: "/bin/sh", argv0: false });
  deepStrictEqual(chooseShell(high, dash), { path: "/bin/bash", argv0: false });
  deepStrictEqual(chooseShell(binary, dash), {
    path: "/bin/bash",
    argv0: true,
  });
  deepStrictEqual(chooseShell(high, ash), { path: "/bin/sh", argv0: false });
  deepStrictEqual(chooseShell(binary, ash), { path: "/bin/sh", argv0: true });
  deepStrictEqual(chooseShell(binary, none), { path: "/bin/sh", argv0: false });
  strictEqual(chooseShell(high, none), null);
});

Deno.test("commandLine: the script's argv directly, unless a prologue has work", () => {
  const none = {
    stdin: { kind: "null" },
    stdout: { kind: "inherit" },
  } as const;
  const sh = { path: "/bin/sh", argv0: false };
  const script = { argv: ["/bin/sh", "run", "x"], argv0: null };
  deepStrictEqual(commandLine({ ...none, notifyFd: null }, script, sh, null), [
    "/bin/sh",
    ["run", "x"],
  ]);
  const logged = {
    stdin: { kind: "null" },
    stdout: { kind: "fifo", path: "/r/log" },
    notifyFd: null,
  } as const;
  const [file, args] = commandLine(logged, script, sh, null);
  strictEqual(file, "/bin/sh");
  deepStrictEqual(args.slice(2), [
    "nitro",
    "",
    "/r/log",
    "",
    "",
    "",
    "/bin/sh",
    "run",
    "x",
  ]);
  const pipe = { path: "/proc/7/fd/1", relay: 7 };
  const notified = commandLine({ ...none, notifyFd: 4 }, script, sh, pipe);
  ok(notified[1][1].includes('exec 4>"$3"; kill "$4"'));
  deepStrictEqual(notified[1].slice(5, 8), ["/proc/7/fd/1", "7", ""]);
  const binary = { argv: ["./run"], argv0: "run" };
  const bash = { path: "/bin/bash", argv0: true };
  const b = commandLine({ ...none, notifyFd: null }, binary, bash, null);
  strictEqual(b[0], "/bin/bash");
  ok(b[1][1].includes('exec -a "$a"'));
  deepStrictEqual(b[1].slice(7), ["run", "./run"]);
  // No `exec -a` to be had: `./run` directly.
  deepStrictEqual(
    commandLine({ ...none, notifyFd: null }, binary, sh, null),
    ["./run", []],
  );
});

/** A temp service directory with executable scripts. */
function serviceDir(scripts: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "nitro-spawn-" });
  for (const [name, text] of Object.entries(scripts)) {
    Deno.writeTextFileSync(join(dir, name), text);
    Deno.chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function request(
  dir: string,
  script: string,
  extra: Partial<SpawnRequest> = {},
): SpawnRequest {
  return {
    command: join(dir, script),
    args: [],
    cwd: dir,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    stdin: { kind: "null" },
    stdout: { kind: "null" },
    stderrInherit: true,
    notifyFd: null,
    ...extra,
  };
}

function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

Deno.test("Spawner: a death by any signal is reported with its number", async () => {
  const dir = serviceDir({ run: "#!/bin/sh\nkill -$1 $$\nexit 0\n" });
  try {
    for (const signo of [1, 15, 16, 24, 30, 31, 34, 40, 64]) {
      const s = spawner.spawn(request(dir, "run", { args: [String(signo)] }));
      strictEqual(await s.exited, signo, `signal ${signo}`);
    }
    const s = spawner.spawn(request(dir, "run", { args: ["0"] }));
    strictEqual(await s.exited, 0, "kill -0 does nothing: exit 0");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("Spawner: $0 and the command line are the kernel's for `run`", async () => {
  const out = (dir: string) => join(dir, "out");
  const dir = serviceDir({
    run: '#!/bin/sh\nprintf "%s|" "$0" "$@" > out\n' +
      "tr '\\0' ' ' < /proc/$$/cmdline >> out\n",
    finish: '#!/bin/sh -e\nprintf "%s|" "$0" "$@" > out\n',
  });
  try {
    let s = spawner.spawn(request(dir, "run", { args: ["one", "two words"] }));
    strictEqual(await s.exited, 0);
    strictEqual(
      Deno.readTextFileSync(out(dir)),
      "run|one|two words|/bin/sh run one two words ",
    );
    s = spawner.spawn(request(dir, "finish", { args: ["-1", "9", "p"] }));
    strictEqual(await s.exited, 0);
    strictEqual(Deno.readTextFileSync(out(dir)), "finish|-1|9|p|");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("Spawner: a binary gets run as argv[0], through bash where dash is /bin/sh", async () => {
  const dir = serviceDir({});
  Deno.copyFileSync("/bin/sleep", join(dir, "run"));
  const s = spawner.spawn(request(dir, "run", { args: ["1000"] }));
  try {
    // This machine has bash; without it a dash system gives `./run`.
    const cmdline = await readCmdline(s.pid, "run");
    deepStrictEqual(cmdline, ["run", "1000"]);
    strictEqual(Deno.readLinkSync(`/proc/${s.pid}/exe`), join(dir, "run"));
  } finally {
    killGroup(s.pid);
    await s.exited;
    Deno.removeSync(dir, { recursive: true });
  }
});

/** The argv of `pid` once it has exec'd `expect` (the prologue comes first). */
async function readCmdline(pid: number, expect: string): Promise<string[]> {
  let argv: string[] = [];
  await eventually(
    () => {
      argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      argv.pop();
      return argv[0] === expect;
    },
    5000,
    `${expect} in /proc/${pid}/cmdline (${argv.join(" ")})`,
  );
  return argv;
}

Deno.test("Spawner: a script that cannot be executed is refused with a reason", () => {
  const dir = serviceDir({ run: "#!/nonexistent/sh\n", setup: "#!/bin/sh\n" });
  Deno.chmodSync(join(dir, "setup"), 0o644);
  try {
    throws(
      () => spawner.spawn(request(dir, "run")),
      /interpreter \/nonexistent/,
    );
    throws(
      () => spawner.spawn(request(dir, "setup")),
      /setup is not executable/,
    );
    throws(
      () => spawner.spawn(request(dir, "finish")),
      /finish is not executable/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/**
 * fd → what it points at, for every fd of `pid` but those this test process
 * itself inherited without close-on-exec (the harness of nitro closes them).
 */
function fds(pid: number): Record<string, string> {
  const stray = new Set(strayFds().map(String));
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    if (stray.has(e.name)) continue;
    out[e.name] = Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`);
  }
  return out;
}

for (const fd of [3, 9, 37]) {
  Deno.test(`Spawner: fd ${fd} is a real pipe, and the first newline is ready`, async () => {
    // The script checks S_ISFIFO itself, then writes through /dev/fd/N.
    const dir = serviceDir({
      run: `#!/bin/bash\n[ -p /dev/fd/${fd} ] && echo fifo > out\n` +
        `read _ < gate\nprintf 'no newline' >&${fd}\n` +
        `echo ready > /dev/fd/${fd}\nexec sleep 1000\n`,
    });
    const gate = join(dir, "gate");
    Deno.writeTextFileSync(gate, "");
    await Deno.remove(gate);
    await new Deno.Command("mkfifo", { args: [gate] }).output();
    let ready = 0;
    const s = spawner.spawn(
      request(dir, "run", { notifyFd: fd, onReady: () => ready++ }),
    );
    try {
      await eventually(
        () => Deno.readLinkSync(`/proc/${s.pid}/exe`).endsWith("bash"),
        5000,
        "run started",
      );
      await delay(100);
      strictEqual(ready, 0, "nothing written yet");
      // The gate: now the service writes, then execs sleep.
      await Deno.writeTextFile(gate, "go\n");
      await eventually(() => ready > 0, 5000, "onReady");
      strictEqual(Deno.readTextFileSync(join(dir, "out")), "fifo\n");
      await eventually(
        () => Deno.readLinkSync(`/proc/${s.pid}/exe`).endsWith("sleep"),
      );
      const open = fds(s.pid);
      deepStrictEqual(Object.keys(open).sort(), ["0", "1", "2", String(fd)]);
      ok(/^pipe:\[\d+\]$/.test(open[String(fd)]), open[String(fd)]);
      strictEqual(open["0"], "/dev/null");
      strictEqual(open["1"], "/dev/null");
    } finally {
      killGroup(s.pid);
      strictEqual(await s.exited, 9);
      Deno.removeSync(dir, { recursive: true });
    }
    strictEqual(ready, 1, "called once");
  });
}

Deno.test("Spawner: past MAX_BYTES_BEFORE_NEWLINE without a newline nitro stops reading fd 3", async () => {
  // A megabyte fits in no pipe (64 KiB) nor in what nitro reads ahead:
  // `head` finishes only if nitro reads it all, and is killed by SIGPIPE
  // (141) once nitro stops reading. The newline after it comes too late.
  const dir = serviceDir({
    run: "#!/bin/sh\nhead -c 1000000 /dev/zero >&3\necho $? > wrote\n" +
      "(echo >&3) 2>/dev/null\necho done >> wrote\nexec sleep 1000\n",
  });
  let ready = 0;
  const s = spawner.spawn(
    request(dir, "run", { notifyFd: 3, onReady: () => ready++ }),
  );
  try {
    const wrote = () => {
      try {
        return Deno.readTextFileSync(join(dir, "wrote"));
      } catch {
        return "";
      }
    };
    await eventually(() => wrote().endsWith("done\n"), 20_000, "the writer");
    strictEqual(wrote(), "141\ndone\n");
    ok(MAX_BYTES_BEFORE_NEWLINE < 65_536, "the bound is below a pipe's size");
    strictEqual(ready, 0, "the late newline does not make it ready");
  } finally {
    killGroup(s.pid);
    strictEqual(await s.exited, 9);
    Deno.removeSync(dir, { recursive: true });
  }
  strictEqual(ready, 0);
});

Deno.test("Spawner: no relay outlives its service; no newline, no ready", async () => {
  const dir = serviceDir({
    run: "#!/bin/sh\nprintf 'abc' >&3\nexec sleep 1000\n",
    early: "#!/bin/sh\nexit 3\n",
  });
  const children = new Children();
  const spawner = new Spawner(children);
  let ready = 0;
  try {
    const s = spawner.spawn(
      request(dir, "run", { notifyFd: 3, onReady: () => ready++ }),
    );
    // Our own children: the service and its relay, until they are reaped.
    strictEqual(children.size, 2);
    // The relay ends once the service has opened fd 3.
    await eventually(() => children.size === 1);
    ok(children.has(s.pid));
    killGroup(s.pid);
    strictEqual(await s.exited, 9);
    // A service that ends before it could open fd N: its relay is ended.
    const e = spawner.spawn(
      request(dir, "early", { notifyFd: 3, onReady: () => ready++ }),
    );
    strictEqual(await e.exited, 3 << 8);
    await eventually(() => children.size === 0);
    strictEqual(ready, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
