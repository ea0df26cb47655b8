/**
 * `deno task install --root DIR` puts nitroctl's completions where bash,
 * zsh and fish look, and each loads in its shell and completes a command,
 * an option and a service name (from `nitroctl list`, through the installed
 * launcher). A shell that is not installed is skipped, saying so.
 * Also measures `nitroctl list` through the launcher: what every Tab on a
 * SERVICE costs (printed, not asserted).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { basicHandler, FakeDaemon, status } from "../helpers/fake_daemon.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import { main } from "../../src/ctl/main.ts";
import { COMPLETION_PATHS } from "../../src/ctl/completion.ts";

const HERE = join(REPO_ROOT, "tests/ctl");
const decoder = new TextDecoder();

const TABLE = [
  status("cron", "DOWN", null, 256, 40),
  status("db", "UP", 10, 0, 5),
  status("web", "STARTING", 11),
  status("agetty@tty1", "UP", 12),
];

/** Whether a program is on PATH. */
function have(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      Deno.statSync(join(dir, program));
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Run a program; its status and stdout (stderr shown on failure). */
async function run(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const child = new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const out = await child.output();
    const stderr = decoder.decode(out.stderr);
    assert.equal(out.code, 0, `${program} ${args.join(" ")}: ${stderr}`);
    return decoder.decode(out.stdout);
  } finally {
    clearTimeout(timer);
  }
}

/** The lines of some output, sorted, without empty ones. */
const sorted = (text: string) =>
  text.split("\n").map((l) => l.split("\t")[0]).filter((l) => l !== "")
    .sort();

/** An install into a temporary root, with a fake nitro for `list`. */
async function installed() {
  const root = await Deno.makeTempDir({ prefix: "nitro-complete-" });
  await run(Deno.execPath(), [
    "run",
    "--allow-all",
    join(REPO_ROOT, "ci/build.ts"),
    "install",
    "--root",
    root,
  ], { NO_COLOR: "1" });
  const daemon = await FakeDaemon.start(basicHandler(TABLE));
  const env = {
    PATH: `${root}/bin:/usr/bin:/bin`,
    NITRO_SOCK: daemon.path,
    HOME: root,
    TERM: "dumb",
  };
  return {
    root,
    env,
    file: (shell: keyof typeof COMPLETION_PATHS) =>
      join(root, COMPLETION_PATHS[shell]),
    async [Symbol.asyncDispose]() {
      await daemon[Symbol.asyncDispose]();
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** The output of nitroctl's main() run in this process. */
async function inProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n") + "\n", err: err.join("\n") };
}

const SERVICES = ["agetty@tty1", "cron", "db", "web"];

Deno.test("completion: bash loads (complete -p) and completes commands, options, services", async () => {
  if (!have("bash")) {
    console.log("skipped: bash is not installed");
    return;
  }
  await using inst = await installed();
  const file = inst.file("bash");
  const printed = await inProcess(["completion", "bash"]);
  assert.equal(printed.code, 0);
  assert.equal(printed.out, await Deno.readTextFile(file));
  const complete = (line: string) =>
    run(
      "bash",
      ["--norc", "--noprofile", join(HERE, "bash_complete.sh"), file, line],
      inst.env,
    ).then(sorted);
  assert.deepEqual(await complete("nitroctl st"), ["start", "status", "stop"]);
  assert.deepEqual(await complete("nitroctl r"), ["fast-restart"]);
  assert.deepEqual(await complete("nitroctl --j"), ["--json"]);
  assert.deepEqual(await complete("nitroctl completion "), [
    "bash",
    "fish",
    "zsh",
  ]);
  assert.deepEqual(await complete("nitroctl events --r"), ["--replay"]);
  assert.deepEqual(await complete("nitroctl start "), SERVICES);
  assert.deepEqual(await complete("nitroctl -t 5 k a"), ["agetty@tty1"]);
  assert.deepEqual(await complete("nitroctl info "), []);
});

Deno.test("completion: zsh loads through compinit in a pty and completes commands, options, services", async () => {
  if (!have("zsh")) {
    console.log("skipped: zsh is not installed (apt-get install zsh)");
    return;
  }
  await using inst = await installed();
  const dir = join(inst.root, "share/zsh/site-functions");
  const cases: [string, string[]][] = [
    ["nitroctl st", ["start", "status", "stop"]],
    // As nitro's own _nitroctl: a one-letter shortcut means its command.
    ["nitroctl r", ["fast-restart"]],
    ["nitroctl p", ["pause"]],
    ["nitroctl --j", ["--json"]],
    // nitro's own offers -t and -v; this one the long forms, --json, -h,
    // --force.
    ["nitroctl -", [
      "--force",
      "--help",
      "--json",
      "--timeout",
      "--verbose",
      "-h",
      "-t",
      "-v",
    ]],
    ["nitroctl completion ", ["bash", "fish", "zsh"]],
    ["nitroctl events --", ["--help", "--replay"]],
    ["nitroctl start ", SERVICES],
    ["nitroctl -t 5 kill a", ["agetty@tty1"]],
    ["nitroctl rescan ", []],
  ];
  // One session for every line: compinit alone takes seconds.
  const out = await run("zsh", [
    "-f",
    join(HERE, "zsh_complete.zsh"),
    dir,
    ...cases.map(([line]) => line),
  ], inst.env);
  const offered = out.split("--\n").slice(0, -1).map(sorted);
  assert.deepEqual(
    offered,
    cases.map(([, matches]) => matches),
  );
});

Deno.test("completion: fish loads from its vendor directory and completes commands, options, services", async () => {
  if (!have("fish")) {
    console.log("skipped: fish is not installed (apt-get install fish)");
    return;
  }
  await using inst = await installed();
  const dir = join(inst.root, "share/fish/vendor_completions.d");
  const complete = (line: string) =>
    run("fish", [
      "--no-config",
      "-c",
      `set -p fish_complete_path ${dir}; complete -C ${JSON.stringify(line)}`,
    ], inst.env).then(sorted);
  assert.deepEqual(await complete("nitroctl st"), ["start", "status", "stop"]);
  assert.deepEqual(await complete("nitroctl --js"), ["--json"]);
  assert.deepEqual(await complete("nitroctl completion "), [
    "bash",
    "fish",
    "zsh",
  ]);
  assert.deepEqual(await complete("nitroctl start "), SERVICES);
  assert.deepEqual(await complete("nitroctl -t 5 kill a"), ["agetty@tty1"]);
});

Deno.test("completion: nitroctl list through the installed launcher, as Tab runs it (figure)", async () => {
  await using inst = await installed();
  const nitroctl = join(inst.root, "bin/nitroctl");
  await run(nitroctl, ["list"], inst.env); // warm the module cache
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const out = await run(nitroctl, ["-t", "2", "list"], inst.env);
    times.push(performance.now() - started);
    assert.equal(out.split("\n").length, TABLE.length + 1);
  }
  times.sort((a, b) => a - b);
  console.log(
    `nitroctl list via the launcher: median ${
      times[2].toFixed(0)
    } ms, fastest ${times[0].toFixed(0)} ms (5 runs)`,
  );
});
