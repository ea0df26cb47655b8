/**
 * `deno task demo`: nitro in the foreground on a copy of `fixtures/demo`,
 * with its own socket, until Ctrl-C.
 *
 * The copy and the socket live in a fresh temporary directory, so the demo
 * needs no root and touches nothing of the machine's. A `nitroctl` launcher
 * is put there too, and first in the PATH nitro gives its services, so that
 * scripts can say `nitroctl down .`.
 *
 * Ctrl-C: to nitro, SIGINT means *reboot*. nitro therefore runs in a session
 * of its own (the terminal's Ctrl-C does not reach it) and the demo turns
 * Ctrl-C into SIGTERM, nitro's *shutdown*: every service is brought down,
 * loggers last, and the demo exits. A second Ctrl-C kills what is left.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  BASE_TARGETS,
  launcher as launcherText,
  LAUNCHER_MARK,
  shellQuote as q,
} from "./build.ts";
import { PERMISSIONS, RUN_ENV } from "./permissions.ts";
import { descendantsOf } from "./proc.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const FIXTURE = join(ROOT, "fixtures/demo");

/** Copy a tree, keeping symlinks as symlinks and file modes. */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isSymlink) {
      await Deno.symlink(await Deno.readLink(src), dst);
    } else if (entry.isDirectory) {
      await copyTree(src, dst);
    } else {
      await Deno.copyFile(src, dst);
      const mode = (await Deno.stat(src)).mode;
      if (mode !== null) await Deno.chmod(dst, mode & 0o7777);
    }
  }
}

/**
 * The `nitroctl` of `deno task install` that a user's shell finds first on
 * `path`, or null. Only our launchers count: another program of that name
 * (C nitro's nitroctl) speaks another protocol. Pure but for `read`.
 *
 * @param read Reads a file's text; null when it cannot be read.
 */
export function installedNitroctl(
  path: string,
  read: (file: string) => string | null,
): string | null {
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const text = read(join(dir, "nitroctl"));
    if (text === null) continue;
    return text.includes(LAUNCHER_MARK) ? join(dir, "nitroctl") : null;
  }
  return null;
}

/** Text of a small executable file, or null. */
function readLauncher(file: string): string | null {
  try {
    const st = Deno.statSync(file);
    if (!st.isFile || ((st.mode ?? 0) & 0o111) === 0 || st.size > 4096) {
      return null;
    }
    return Deno.readTextFileSync(file);
  } catch {
    return null;
  }
}

/**
 * The banner's lines: how to reach this demo from another shell with
 * commands that work as the user ran the demo, with no `deno` on PATH
 * needed. `installed` is the user's own nitroctl launcher, if any; else
 * `bin` (holding the demo's launcher) goes first in PATH.
 */
export function banner(
  opts: { sock: string; bin: string; installed: string | null },
): string[] {
  const setup = [`  export NITRO_SOCK=${q(opts.sock)}`];
  if (opts.installed === null) {
    setup.push(`  export PATH=${q(opts.bin)}:"$PATH"`);
  }
  return [
    "",
    opts.installed === null
      ? "In another terminal, talk to it (the nitroctl in PATH runs this Deno):"
      : `In another terminal, talk to it with your ${opts.installed}:`,
    ...setup,
    "  nitroctl list                # every service, its state and pid",
    "  nitroctl status web db       # why each is in its state",
    "  nitroctl events --replay     # what happened so far, then live (Ctrl-C)",
    "  nitroctl plot > boot.svg     # the boot as a picture",
    "Then try: start backup, up greeter@you, restart web, stop db, metrics",
    "(see fixtures/demo/README.md). Ctrl-C here shuts nitro down.",
    "",
  ];
}

async function main(): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix: "nitro-demo-" });
  const dir = join(tmp, "services");
  const sock = join(tmp, "nitro.sock");
  const bin = join(tmp, "bin");
  await copyTree(FIXTURE, dir);
  await Deno.remove(join(dir, "README.md")).catch(() => {});

  const deno = Deno.execPath();
  await Deno.mkdir(bin);
  const launcher = join(bin, "nitroctl");
  const nitroctl = BASE_TARGETS.find((t) => t.name === "nitroctl")!;
  await Deno.writeTextFile(
    launcher,
    launcherText(nitroctl, { deno, src: ROOT.replace(/\/$/, "") }),
  );
  await Deno.chmod(launcher, 0o755);

  const env = {
    ...Deno.env.toObject(),
    ...RUN_ENV,
    NITRO_SOCK: sock,
    PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
  };

  const say = (s: string) => console.log(`\x1b[1m${s}\x1b[0m`);
  say(`nitro demo: services in ${dir}`);
  const installed = installedNitroctl(Deno.env.get("PATH") ?? "", readLauncher);
  console.log(banner({ sock, bin, installed }).join("\n"));

  // A session of its own: Ctrl-C in this terminal must not reach nitro
  // (SIGINT = reboot); this process forwards it as SIGTERM = shutdown.
  const nitro = spawn(
    deno,
    ["run", "--quiet", ...PERMISSIONS.nitro, join(ROOT, "cli/nitro.ts"), dir],
    { env, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  const exited = new Promise<number>((resolve) => {
    nitro.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    nitro.on("error", (err) => {
      console.error(`demo: cannot start nitro: ${err.message}`);
      resolve(1);
    });
  });

  // `deno task` passes the terminal's Ctrl-C on to us as well, so one
  // keypress may arrive twice: only one a second later means "again".
  let first: number | null = null;
  const stop = () => {
    if (nitro.pid === undefined) return;
    if (first !== null && performance.now() - first < 1000) return;
    if (first === null) {
      first = performance.now();
      say("\ndemo: shutting nitro down (SIGTERM); Ctrl-C again to kill it");
      try {
        Deno.kill(nitro.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      return;
    }
    say("\ndemo: killing nitro and its services");
    for (const pid of [nitro.pid, ...descendantsOf(nitro.pid)]) {
      for (const target of [-pid, pid]) {
        try {
          Deno.kill(target, "SIGKILL");
        } catch {
          // Not a group leader, or gone.
        }
      }
    }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  const code = await exited;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  say(`demo: nitro exited with status ${code}`);
  return code;
}

if (import.meta.main) Deno.exit(await main());
