/**
 * `deno task containertest`: build the offline image of `ci/container` (Deno
 * and the launchers, `FROM scratch`) and check with real containers what
 * nitro does as their init:
 *
 * - `boot`: services UP; `exec … nitroctl list`; control from the host
 *   through a bind-mounted socket (`NITRO_SOCK`, also `--json`); SIGHUP
 *   rescans (added services start, a removed one stops); 300 orphans reaped;
 *   `stop` exits 0 by itself and `logs` keeps the services' last lines.
 * - `stubborn`: a service ignoring SIGTERM is killed at 7 s, exit still 0.
 * - `readonly`: `--read-only` root with `--tmpfs /run`.
 * - `norun`: `--read-only` without a writable `/run`: one warning saying
 *   what to do; `Reboot` from the host boots again in place, `Shutdown`
 *   ends the container with exit 0.
 * - `kube`: `ci/container/pod.yaml` under `podman kube play`: the pod
 *   starts, its liveness probe passes, and fails once web is down.
 * - `compiled`: the image of `deno compile`'s binaries boots, when `dist/`
 *   has them (`deno task compile` needs denort, not downloadable here).
 *
 * Uses podman (with the first runtime that works here, and containers.conf
 * of its own: `default_ulimits = []`), else docker. Prints one line per
 * check, its figures (image size, time to socket, time to all UP, stop
 * times) and ends with `containertest: N passed, N failed`; exits 0 only if
 * all passed, 1 if a check failed, 2 if no engine can run containers here
 * or the image's inputs are missing (the message says why). Everything it
 * creates is named `nitro-ct-PID-…` and removed at the end.
 *
 * ```sh
 * deno task containertest             # everything
 * deno task containertest boot kube   # only these
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { RUN_FLAGS } from "../../ci/build.ts";
import { PERMISSIONS, RUN_ENV } from "../../ci/permissions.ts";
import {
  buildContext,
  ContextError,
  type Flavour,
} from "../../ci/container/rootfs.ts";
import { REPO_ROOT } from "../helpers/common.ts";
import {
  type Engine,
  EngineError,
  findEngine,
  firstLine,
  type Result,
  run,
  Running,
} from "./engine.ts";

/** The parts, in the order they run. */
export const PARTS = [
  "boot",
  "stubborn",
  "readonly",
  "norun",
  "kube",
  "compiled",
] as const;
type Part = typeof PARTS[number];

const ROOT = REPO_ROOT.replace(/\/$/, "");

/** The test's own services, copied into running containers. */
const SERVICES = join(ROOT, "tests/container/services");

/** How long nitro may take to say it is booting (Deno starting cold). */
const BOOT_MS = 60_000;

/** `-t` of the waits for services, in seconds. */
const WAIT_S = "30";

/** nitro's line once its socket is listening. */
const BOOTING = /^- nitro: booting$/;

/** nitro's warning when it could not mount /run. */
const RUN_WARNING = /^- nitro: mount tmpfs on \/run: /;

/** Counts and prints checks as they are made. */
class Report {
  passed = 0;
  failed = 0;

  check(name: string, ok: boolean, detail = ""): boolean {
    if (ok) {
      this.passed++;
      console.log(`ok    ${name}`);
    } else {
      this.failed++;
      console.log(
        `FAIL  ${name}${
          detail ? `\n      ${detail.trim().replaceAll("\n", "\n      ")}` : ""
        }`,
      );
    }
    return ok;
  }

  figure(what: string, value: string): void {
    console.log(`containertest: ${what}: ${value}`);
  }
}

/** Seconds with one decimal, for figures. Pure. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `promise`'s value, or null if it has not settled after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(resolve, ms, null);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The last lines of a container's output, for a failure's detail. Pure. */
export function tail(lines: { text: string }[], n = 15): string {
  return lines.slice(-n).map((l) => l.text).join("\n");
}

/** nitroctl as a user runs it on the host: its launcher's command line. */
function hostCtl(sock: string, args: string[]): Promise<Result> {
  return run(Deno.execPath(), [
    "run",
    ...RUN_FLAGS,
    ...PERMISSIONS.nitroctl,
    join(ROOT, "cli/nitroctl.ts"),
    ...args,
  ], { ...RUN_ENV, NITRO_SOCK: sock });
}

/** `nitroctl events --replay` from the host, line by line. */
function hostEvents(sock: string): Running {
  return new Running(Deno.execPath(), [
    "run",
    ...RUN_FLAGS,
    ...PERMISSIONS.nitroctl,
    join(ROOT, "cli/nitroctl.ts"),
    "--replay",
    "events",
  ], { ...RUN_ENV, NITRO_SOCK: sock });
}

/** The services of `nitroctl --json list` by name. Pure. */
export function servicesOf(
  json: string,
): Map<string, { state: string; pid?: number }> {
  const map = new Map<string, { state: string; pid?: number }>();
  try {
    for (const s of JSON.parse(json)) map.set(s.name, s);
  } catch {
    // Not JSON: an empty map fails the check that reads it.
  }
  return map;
}

/** Everything a part needs. */
interface Ctx {
  engine: Engine;
  report: Report;
  image: string;
  work: string;
}

/** A container started in the foreground, noted for removal. */
function startContainer(ctx: Ctx, suffix: string, options: string[]) {
  const name = `${ctx.engine.prefix}-${suffix}`;
  ctx.engine.created("containers", name);
  const c = ctx.engine.start([
    "run",
    "--name",
    name,
    "--network",
    "none",
    ...options,
    ctx.image,
  ]);
  return { name, c };
}

/** A directory for a bind-mounted socket: root's, mode 0700, as nitro wants. */
async function ctlDir(ctx: Ctx): Promise<string> {
  return await Deno.makeTempDir({ dir: ctx.work, prefix: "ctl-" });
}

/** Wait for nitro's socket (its "booting" line); report it. */
async function booted(ctx: Ctx, c: Running, what: string): Promise<boolean> {
  const line = await c.waitFor(BOOTING, BOOT_MS);
  return ctx.report.check(
    `${what}: nitro boots as the container's init`,
    line !== null,
    tail(c.lines),
  );
}

/** `podman stop`, timed; whether the container exited 0 by itself. */
async function stop(
  ctx: Ctx,
  name: string,
  c: Running,
  timeoutS?: number,
): Promise<{ ok: boolean; ms: number; detail: string }> {
  const t0 = performance.now();
  const r = await ctx.engine.run([
    "stop",
    ...timeoutS ? ["-t", String(timeoutS)] : [],
    name,
  ]);
  const ms = performance.now() - t0;
  // `stop` kills at its timeout: the container must be gone by now.
  const code = await within(c.exited, 10_000);
  const recorded = await ctx.engine.exitCode(name);
  return {
    ok: r.code === 0 && code === 0 && recorded === 0,
    ms,
    detail: `stop: exit ${r.code} ${firstLine(r)}; container: exit ${code} ` +
      `(recorded ${recorded}; 137 would be podman's SIGKILL)\n${tail(c.lines)}`,
  };
}

async function copyService(ctx: Ctx, name: string, service: string) {
  const r = await ctx.engine.run([
    "cp",
    join(SERVICES, service),
    `${name}:/etc/nitro/${service}`,
  ]);
  if (r.code !== 0) throw new Error(`cp ${service}: ${firstLine(r)}`);
}

async function hup(ctx: Ctx, name: string): Promise<Result> {
  return await ctx.engine.run(["kill", "--signal", "HUP", name]);
}

/**
 * Default options, socket bind-mounted from the host: boot, list (inside and
 * from the host, `--json`), rescans, orphans, `stop` and `logs`.
 */
async function bootPart(ctx: Ctx): Promise<void> {
  const { engine, report } = ctx;
  const ctl = await ctlDir(ctx);
  const sock = join(ctl, "nitro.sock");
  const { name, c } = startContainer(ctx, "boot", [
    "-v",
    `${ctl}:/ctl`,
    "-e",
    "NITRO_SOCK=/ctl/nitro.sock",
  ]);
  let events: Running | null = null;
  try {
    if (!await booted(ctx, c, "boot")) return;
    report.figure("time to socket", seconds(c.matching(BOOTING)[0].ms));
    const up = await hostCtl(sock, ["-t", WAIT_S, "wait-up", "web", "ticker"]);
    report.figure("time to all UP", seconds(c.now()));
    report.check(
      "boot: web and ticker UP, waited for from the host through the bind-mounted socket",
      up.code === 0,
      up.stderr,
    );
    const list = await engine.run(["exec", name, "nitroctl", "list"]);
    report.check(
      `boot: ${engine.kind} exec CONTAINER nitroctl list: web and ticker UP`,
      /^UP ticker \(pid \d+\) /m.test(list.stdout) &&
        /^UP web \(pid \d+\) /m.test(list.stdout),
      list.stdout + list.stderr,
    );
    const json = await hostCtl(sock, ["--json", "list"]);
    const services = servicesOf(json.stdout);
    report.check(
      "boot: nitroctl --json list from the host: web and ticker UP with pids",
      ["web", "ticker"].every((s) =>
        services.get(s)?.state === "UP" &&
        typeof services.get(s)?.pid === "number"
      ),
      json.stdout + json.stderr,
    );
    report.check(
      "boot: no /run warning where /run is writable (no CAP_SYS_ADMIN)",
      c.matching(RUN_WARNING).length === 0,
      tail(c.lines),
    );

    // Rescan: two services added.
    await copyService(ctx, name, "orphans");
    await copyService(ctx, name, "spare");
    const h1 = await hup(ctx, name);
    const added = await hostCtl(sock, [
      "-t",
      "60",
      "wait-up",
      "orphans",
      "spare",
    ]);
    report.check(
      `boot: ${engine.kind} kill --signal HUP rescans: added services start`,
      h1.code === 0 && added.code === 0,
      `${firstLine(h1)}\n${added.stderr}\n${tail(c.lines)}`,
    );
    const made = c.matching(/^orphans: made 300, left \d+$/)[0]?.text;
    const info = await hostCtl(sock, ["--json", "info"]);
    let reaps = -1;
    try {
      reaps = Number(JSON.parse(info.stdout).reaps);
    } catch {
      // Checked below.
    }
    report.check(
      "boot: a service orphaning 300 children leaves 0 zombies",
      made === "orphans: made 300, left 0" && reaps >= 300,
      `${made ?? "no orphans line"}; nitro's reaps: ${reaps}`,
    );

    // Rescan: one removed. The replayed history shows the stream is
    // connected before the HUP.
    events = hostEvents(sock);
    const upSpare = await events.waitFor(/^UP spare$/, 30_000);
    const rm = await engine.run(["exec", name, "rm", "-r", "/etc/nitro/spare"]);
    const h2 = await hup(ctx, name);
    const from = upSpare ? events.lines.indexOf(upSpare) + 1 : 0;
    const down = upSpare && await events.waitFor(/^DOWN spare$/, 30_000, from);
    const after = await hostCtl(sock, ["list"]);
    report.check(
      "boot: HUP rescans: a removed service stops and leaves the list",
      rm.code === 0 && h2.code === 0 && !!down &&
        !/ spare /.test(after.stdout) && /^UP web /m.test(after.stdout),
      `events: ${tail(events.lines)}\nlist: ${after.stdout}`,
    );

    const s = await stop(ctx, name, c);
    report.figure("stop time", seconds(s.ms));
    report.check(
      `boot: ${engine.kind} stop: nitro exits 0 by itself, not killed at the timeout`,
      s.ok,
      s.detail,
    );
    const logs = await engine.run(["logs", name]);
    const text = logs.stdout + logs.stderr;
    report.check(
      `boot: ${engine.kind} logs ends with the services' last lines`,
      text.includes("ticker: stopping\n") &&
        text.includes("- nitro: finished\n"),
      text.split("\n").slice(-10).join("\n"),
    );
  } finally {
    events?.kill();
    c.kill();
  }
}

/** A service ignoring SIGTERM: killed at 7 s, and still exit 0. */
async function stubbornPart(ctx: Ctx): Promise<void> {
  const { engine, report } = ctx;
  const { name, c } = startContainer(ctx, "stubborn", []);
  try {
    if (!await booted(ctx, c, "stubborn")) return;
    await copyService(ctx, name, "stubborn");
    await hup(ctx, name);
    const up = await engine.run([
      "exec",
      name,
      "nitroctl",
      "-t",
      WAIT_S,
      "wait-up",
      "stubborn",
    ]);
    if (!report.check("stubborn: the service comes UP", up.code === 0)) return;
    // More than podman's 10 s, so that only nitro's own 7 s count.
    const s = await stop(ctx, name, c, 30);
    report.figure("stop time with a service ignoring SIGTERM", seconds(s.ms));
    report.check(
      "stubborn: nitro kills the service ignoring SIGTERM (finish gets -1 9)",
      c.matching(/^stubborn: finish -1 9$/).length === 1,
      tail(c.lines),
    );
    report.check("stubborn: the container still exits 0", s.ok, s.detail);
  } finally {
    c.kill();
  }
}

/** `--read-only` root, `--tmpfs /run`. */
async function readonlyPart(ctx: Ctx): Promise<void> {
  const { engine, report } = ctx;
  const { name, c } = startContainer(ctx, "readonly", [
    "--read-only",
    "--tmpfs",
    "/run",
  ]);
  try {
    if (!await booted(ctx, c, "readonly")) return;
    const up = await engine.run([
      "exec",
      name,
      "nitroctl",
      "-t",
      WAIT_S,
      "wait-up",
      "web",
      "ticker",
    ]);
    report.check(
      "readonly: --read-only --tmpfs /run: web and ticker UP",
      up.code === 0,
      up.stderr + tail(c.lines),
    );
    report.check(
      "readonly: no /run warning (/run is a mount point)",
      c.matching(RUN_WARNING).length === 0,
      tail(c.lines),
    );
    const s = await stop(ctx, name, c);
    report.check("readonly: stop: exit 0", s.ok, s.detail);
  } finally {
    c.kill();
  }
}

/**
 * `--read-only` and no writable /run: one warning saying what to do; the
 * socket elsewhere (bind-mounted); Reboot and Shutdown from the host.
 */
async function norunPart(ctx: Ctx): Promise<void> {
  const { engine, report } = ctx;
  const ctl = await ctlDir(ctx);
  const sock = join(ctl, "nitro.sock");
  const { c } = startContainer(ctx, "norun", [
    "--read-only",
    // podman's --read-only adds a tmpfs on /run unless told not to.
    ...engine.kind === "podman" ? ["--read-only-tmpfs=false"] : [],
    "-v",
    `${ctl}:/ctl`,
    "-e",
    "NITRO_SOCK=/ctl/nitro.sock",
  ]);
  let ended = false;
  c.exited.then(() => ended = true);
  try {
    if (!await booted(ctx, c, "norun")) return;
    const warnings = c.matching(RUN_WARNING);
    report.check(
      "norun: read-only /run: one warning, saying to use --tmpfs /run",
      warnings.length === 1 && warnings[0].text.includes("--tmpfs /run"),
      tail(c.lines),
    );
    const up = await hostCtl(sock, ["-t", WAIT_S, "wait-up", "web", "ticker"]);
    const before = servicesOf((await hostCtl(sock, ["--json", "list"])).stdout);
    report.check(
      "norun: web and ticker UP, socket on the bind mount",
      up.code === 0,
      up.stderr,
    );

    const reboot = await hostCtl(sock, ["Reboot"]);
    const again = await c.waitFor(
      BOOTING,
      BOOT_MS,
      c.lines.indexOf(c.matching(BOOTING)[0]) + 1,
    );
    const up2 = await hostCtl(sock, ["-t", WAIT_S, "wait-up", "web", "ticker"]);
    const after = servicesOf((await hostCtl(sock, ["--json", "list"])).stdout);
    report.check(
      "norun: Reboot from the host boots again in the same container",
      reboot.code === 0 && again !== null && up2.code === 0 && !ended &&
        after.get("web")?.pid !== before.get("web")?.pid,
      `${reboot.stderr}${up2.stderr}\n${tail(c.lines)}`,
    );
    report.check(
      "norun: the /run warning is still printed once",
      c.matching(RUN_WARNING).length === 1,
      tail(c.lines),
    );

    const t0 = performance.now();
    const shutdown = await hostCtl(sock, ["Shutdown"]);
    const code = await within(c.exited, 30_000);
    report.figure("Shutdown to exit", seconds(performance.now() - t0));
    report.check(
      "norun: Shutdown from the host ends the container with exit 0",
      shutdown.code === 0 && code === 0,
      `nitroctl: ${shutdown.code} ${shutdown.stderr}; container: ${code}\n${
        tail(c.lines)
      }`,
    );
  } finally {
    c.kill();
  }
}

/** The repository's pod manifest, for this image and a pod of the test's. */
export function podManifest(
  text: string,
  image: string,
  pod: string,
): string | null {
  const out = text
    .replace(/^(\s+image:) localhost\/nitro-example:latest$/m, `$1 ${image}`)
    .replace(/^( {2}name:) nitro-example$/m, `$1 ${pod}`);
  return out.includes(image) && out.includes(`name: ${pod}\n`) ? out : null;
}

/** The exec command of a probe of the manifest (JSON-style list). Pure. */
export function probeCommand(
  manifest: string,
  probe: "livenessProbe" | "readinessProbe",
): string[] | null {
  const m = manifest.match(
    new RegExp(`${probe}:\\s*\\n\\s*exec:\\s*\\n\\s*command: (\\[.*\\])`),
  );
  try {
    return m ? JSON.parse(m[1]) : null;
  } catch {
    return null;
  }
}

/** The pod manifest under `podman kube play`, its probe, `kube down`. */
async function kubePart(ctx: Ctx): Promise<void> {
  const { engine, report } = ctx;
  if (engine.kind !== "podman") {
    console.log("containertest: kube skipped: docker has no kube play");
    return;
  }
  const pod = `${engine.prefix}-pod`;
  const ctr = `${pod}-nitro`;
  const manifest = podManifest(
    await Deno.readTextFile(join(ROOT, "ci/container/pod.yaml")),
    ctx.image,
    pod,
  );
  if (
    !report.check(
      "kube: ci/container/pod.yaml names the example image and pod",
      manifest !== null,
    )
  ) return;
  const file = join(ctx.work, "pod.yaml");
  await Deno.writeTextFile(file, manifest!);
  // kube play builds podman's pause image when it has none: remove it after.
  const pauses = async () =>
    (await engine.run([
      "images",
      "-q",
      "--filter",
      "reference=localhost/podman-pause",
    ])).stdout.split("\n").filter(Boolean);
  const pausesBefore = new Set(await pauses());
  engine.created("pods", pod);
  let logs: Running | null = null;
  try {
    const play = await engine.run(["kube", "play", "--network", "none", file]);
    for (const id of await pauses()) {
      if (!pausesBefore.has(id)) engine.created("images", id);
    }
    if (
      !report.check(
        "kube: podman kube play starts the pod",
        play.code === 0,
        play.stderr,
      )
    ) return;
    logs = engine.start(["logs", "-f", ctr]);
    const booting = await logs.waitFor(BOOTING, BOOT_MS);
    const up = await engine.run([
      "exec",
      ctr,
      "nitroctl",
      "-t",
      WAIT_S,
      "wait-up",
      "web",
      "ticker",
    ]);
    report.check(
      "kube: nitro boots in the pod, web and ticker UP",
      booting !== null && up.code === 0,
      up.stderr + tail(logs.lines),
    );
    const readiness = probeCommand(manifest!, "readinessProbe");
    const ready = readiness &&
      await engine.run(["exec", ctr, ...readiness]);
    report.check(
      "kube: the readinessProbe's command passes (exec: podman runs only liveness)",
      ready !== null && ready.code === 0,
      ready ? ready.stderr : "no readinessProbe command in pod.yaml",
    );
    const healthy = await engine.run(["healthcheck", "run", ctr]);
    report.check(
      "kube: podman healthcheck run (livenessProbe: nitroctl check web) passes",
      healthy.code === 0,
      healthy.stdout + healthy.stderr,
    );
    const stopWeb = await engine.run([
      "exec",
      ctr,
      "nitroctl",
      "-t",
      WAIT_S,
      "stop",
      "web",
    ]);
    const sick = await engine.run(["healthcheck", "run", ctr]);
    report.check(
      "kube: the healthcheck fails after nitroctl stop web",
      stopWeb.code === 0 && sick.code === 1 && /^unhealthy$/m.test(sick.stdout),
      `stop: ${stopWeb.code} ${stopWeb.stderr}; healthcheck: ${sick.code} ` +
        sick.stdout + sick.stderr,
    );
    const unready = readiness &&
      await engine.run(["exec", ctr, ...readiness]);
    report.check(
      "kube: the readinessProbe's command fails (exit 3) once web is down",
      unready !== null && unready.code === 3,
      unready ? `${unready.code} ${unready.stderr}` : "",
    );
    const down = await engine.run(["kube", "down", file]);
    const exists = await engine.run(["pod", "exists", pod]);
    report.check(
      "kube: podman kube down removes the pod",
      down.code === 0 && exists.code === 1,
      down.stderr,
    );
  } finally {
    logs?.kill();
  }
}

/** The compiled image, where `deno task compile` has made the binaries. */
async function compiledPart(ctx: Ctx): Promise<void> {
  const dist = join(ROOT, "dist");
  try {
    await Deno.stat(join(dist, "nitro"));
    await Deno.stat(join(dist, "nitroctl"));
  } catch {
    console.log(
      "containertest: compiled skipped: no dist/nitro, dist/nitroctl " +
        "(deno task compile needs denort)",
    );
    return;
  }
  const image = await buildImage(ctx, "compiled");
  if (image === null) return;
  const { name, c } = startContainer({ ...ctx, image }, "compiled", []);
  try {
    if (!await booted(ctx, c, "compiled")) return;
    const up = await ctx.engine.run([
      "exec",
      name,
      "nitroctl",
      "-t",
      WAIT_S,
      "wait-up",
      "web",
      "ticker",
    ]);
    ctx.report.check("compiled: web and ticker UP", up.code === 0, up.stderr);
    const s = await stop(ctx, name, c);
    ctx.report.check("compiled: stop: exit 0", s.ok, s.detail);
  } finally {
    c.kill();
  }
}

/**
 * Gather the context of `flavour` and build it; reports the build and the
 * image's size. Returns the image's name, or null if it failed.
 */
async function buildImage(
  ctx: Ctx,
  flavour: Flavour,
  gathered = false,
): Promise<string | null> {
  const dir = join(ctx.work, `context-${flavour}`);
  if (!gathered) await buildContext(flavour, dir);
  const image = `localhost/${ctx.engine.prefix}-${flavour}:latest`;
  ctx.engine.created("images", image);
  const t0 = performance.now();
  const build = await ctx.engine.run([
    "build",
    ...ctx.engine.kind === "podman" ? ["--layers=false"] : [],
    "--network",
    "none",
    "-t",
    image,
    dir,
  ]);
  const ms = performance.now() - t0;
  if (
    !ctx.report.check(
      `${flavour} image builds FROM scratch`,
      build.code === 0,
      (build.stdout + build.stderr).split("\n").slice(-15).join("\n"),
    )
  ) return null;
  const size = await ctx.engine.run([
    "image",
    "inspect",
    "--format",
    "{{.Size}}",
    image,
  ]);
  ctx.report.figure(
    `${flavour} image`,
    `${(Number(size.stdout.trim()) / 1e6).toFixed(0)} MB, built in ${
      seconds(ms)
    }`,
  );
  return image;
}

const RUNNERS: Record<Part, (ctx: Ctx) => Promise<void>> = {
  boot: bootPart,
  stubborn: stubbornPart,
  readonly: readonlyPart,
  norun: norunPart,
  kube: kubePart,
  compiled: compiledPart,
};

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(
      `containertest: unknown part ${unknown.join(", ")}; parts: ${
        PARTS.join(" ")
      }`,
    );
    return 2;
  }
  const parts = args.length > 0 ? args as Part[] : [...PARTS];
  const prefix = `nitro-ct-${Deno.pid}-${crypto.randomUUID().slice(0, 4)}`;
  const work = await Deno.makeTempDir({ prefix: "nitro-containertest-" });
  const report = new Report();
  let engine: Engine | null = null;
  const cleanUp = async () => {
    for (const p of await engine?.cleanUp() ?? []) {
      console.error(`containertest: clean-up: ${p}`);
    }
    await Deno.remove(work, { recursive: true }).catch(() => {});
  };
  // Interrupted: no container, pod, image or temporary file left behind.
  const interrupted = () => {
    cleanUp().finally(() => Deno.exit(130));
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, interrupted);
  }
  try {
    const ctx: Ctx = { engine: null!, report, image: "", work };
    try {
      // The offline context first: its root file system is the probe's.
      const dir = join(work, "context-offline");
      await buildContext("offline", dir);
      engine = await findEngine(
        work,
        join(dir, "rootfs"),
        prefix,
        (l) => console.log(l),
      );
    } catch (err) {
      if (!(err instanceof ContextError) && !(err instanceof EngineError)) {
        throw err;
      }
      console.error(
        err instanceof EngineError
          ? `containertest: cannot run containers here: ${err.message}`
          : `containertest: cannot gather the image: ${err.message}`,
      );
      console.log("containertest: 0 passed, 1 failed");
      return 2;
    }
    ctx.engine = engine;
    const image = await buildImage(ctx, "offline", true);
    if (image !== null) {
      ctx.image = image;
      for (const part of parts) {
        const t0 = performance.now();
        try {
          await RUNNERS[part](ctx);
        } catch (err) {
          report.check(`${part}: ran to its end`, false, String(err));
        }
        console.log(
          `containertest: ${part} took ${seconds(performance.now() - t0)}`,
        );
      }
    }
  } finally {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(sig, interrupted);
    }
    await cleanUp();
  }
  console.log(
    `containertest: ${report.passed} passed, ${report.failed} failed`,
  );
  return report.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
