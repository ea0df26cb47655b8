/**
 * What the vmtest asserts, as pure functions of a boot's serial console.
 * The guest's scripts (tests/vm/guest) print `VMTEST ...` markers; the
 * kernel prints `reboot: Power down` or `reboot: Restarting system` as its
 * last word. Lines are matched loosely (anywhere in a line, extra words
 * allowed), since nitro's own console lines may change.
 *
 * @module
 */

/** One console line and when it arrived (ms since QEMU started). */
export interface ConsoleLine {
  /** Milliseconds since QEMU started. */
  ms: number;
  /** The line, without line ending. */
  text: string;
}

/** What the checks need to know about one boot. */
export interface BootRecord {
  /** The serial console. */
  console: ConsoleLine[];
  /** QEMU exited by itself (as opposed to being killed at the deadline). */
  exited: boolean;
  /** When QEMU ended, ms since it started. */
  endMs: number;
}

/** One check's outcome. */
export interface Check {
  /** What was checked, e.g. `shutdown: nitro is pid 1`. */
  name: string;
  /** Whether it held. */
  ok: boolean;
  /** Why not (or what was seen). */
  detail: string;
}

/** The guest's marker prefix. */
export const MARK = "VMTEST ";

/** How long QEMU may take to end after the guest asked for it. */
export const END_LIMIT_MS = 120_000;

/** The kernel's last words. */
export const POWER_DOWN = "reboot: Power down";
/** The kernel's last words on reboot. */
export const RESTART = "reboot: Restarting system";

/** Services of /etc/nitro that must be UP in the shutdown boot. */
export const SERVICES = [
  "plain",
  "logged",
  "logsink",
  "ready",
  "tty@one",
  "orphans",
  "check",
];

/** The text of the markers (prefix removed), in order. */
export function markers(lines: ConsoleLine[]): ConsoleLine[] {
  const out: ConsoleLine[] = [];
  for (const l of lines) {
    const i = l.text.indexOf(MARK);
    if (i >= 0) out.push({ ms: l.ms, text: l.text.slice(i + MARK.length) });
  }
  return out;
}

/** Index of the first line at or after `from` matching `re`, or -1. */
function find(lines: ConsoleLine[], re: RegExp, from = 0): number {
  for (let i = Math.max(0, from); i < lines.length; i++) {
    if (re.test(lines[i].text)) return i;
  }
  return -1;
}

/** A check builder for one boot. */
class Checker {
  readonly checks: Check[] = [];
  constructor(readonly boot: string) {}
  add(name: string, ok: boolean, detail = ""): boolean {
    this.checks.push({ name: `${this.boot}: ${name}`, ok, detail });
    return ok;
  }
}

/** A regexp matching `s` literally. */
function lit(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** Checks every boot shares: no kernel panic, QEMU ended by itself. */
function common(c: Checker, r: BootRecord): void {
  const panic = find(r.console, /Kernel panic/);
  c.add(
    "no kernel panic",
    panic < 0,
    panic < 0 ? "" : r.console[panic].text,
  );
}

/**
 * How the machine ended: QEMU exited by itself, the kernel said `last`
 * (and not the other one) after `after` (a marker index), within
 * {@link END_LIMIT_MS} of that marker.
 */
function ending(
  c: Checker,
  r: BootRecord,
  mode: "power-off" | "reboot",
  asked: ConsoleLine | undefined,
): void {
  const last = mode === "power-off" ? POWER_DOWN : RESTART;
  const other = mode === "power-off" ? RESTART : POWER_DOWN;
  c.add(
    `QEMU exited by itself (${mode})`,
    r.exited,
    r.exited ? "" : "killed at the deadline",
  );
  const said = find(r.console, lit(last));
  c.add(
    `kernel says "${last}"`,
    said >= 0 && find(r.console, lit(other)) < 0,
    said >= 0 ? "" : "not on the console",
  );
  if (asked) {
    const took = r.endMs - asked.ms;
    c.add(
      `${mode} within ${END_LIMIT_MS / 1000} s of the request`,
      r.exited && took <= END_LIMIT_MS,
      `${Math.round(took / 1000)} s`,
    );
  }
}

/** Whether `lines[i]`..: every regexp matches, in this order. */
function inOrder(
  lines: ConsoleLine[],
  res: RegExp[],
): { ok: boolean; detail: string } {
  let at = 0;
  for (const re of res) {
    const i = find(lines, re, at);
    if (i < 0) return { ok: false, detail: `no ${re.source} after line ${at}` };
    at = i + 1;
  }
  return { ok: true, detail: "" };
}

/**
 * The main boot: everything at boot, then `nitroctl Shutdown` to a real
 * power-off. `launcherExec` is the `exec` command of the installed nitro
 * launcher (words after `exec`, without `"$@"`).
 */
export function checkShutdownBoot(
  r: BootRecord,
  launcherExec: string,
): Check[] {
  const c = new Checker("shutdown");
  const m = markers(r.console);
  const text = (re: RegExp) => {
    const i = find(m, re);
    return i < 0 ? null : m[i].text;
  };
  common(c, r);

  const cmdline = text(/^pid1-cmdline /)?.slice("pid1-cmdline ".length)
    .trim() ?? null;
  c.add(
    "pid 1 is the installed launcher's deno command",
    cmdline !== null && cmdline === launcherExec,
    `pid 1: ${cmdline}\nlauncher: ${launcherExec}`,
  );
  c.add(
    "nitro says it is pid 1 (nitroctl info)",
    text(/^info pid 1$/) !== null,
    text(/^info /) ?? "no info output",
  );

  for (
    const [point, type, opts] of [
      ["/proc", "proc", ["nosuid", "nodev", "noexec"]],
      ["/dev", "devtmpfs", ["nosuid"]],
      ["/run", "tmpfs", ["nosuid", "nodev", "mode=755"]],
    ] as const
  ) {
    const line = text(new RegExp(`^mount ${point} `));
    const [, , fs, o = ""] = line?.split(" ") ?? [];
    const have = o.split(",");
    c.add(
      `${point} mounted (${type}, ${opts.join(",")})`,
      fs === type && opts.every((x) => have.includes(x)),
      line ?? `${point} not in /proc/mounts`,
    );
  }

  const setup = find(m, /^sys-setup ran/);
  const firstService = find(
    m,
    /^(plain running|logsink running|template instance|orphans|check start)/,
  );
  c.add(
    "SYS/setup ran, before any service",
    setup >= 0 && (firstService < 0 || setup < firstService),
    setup < 0 ? "no sys-setup marker" : "",
  );

  const before = text(/^before-ready /);
  c.add(
    "readiness: STARTING until notification-fd is written",
    before !== null && /\bSTARTING\b/.test(before) && /\bready\b/.test(before),
    before ?? "no before-ready line",
  );
  for (const svc of SERVICES) {
    const re = new RegExp(`^list .*\\bUP\\b.* ${lit(svc).source}( |$)`);
    const alt = new RegExp(`^list ${lit(svc).source} .*\\bUP\\b`);
    c.add(
      `service ${svc} UP`,
      text(re) !== null || text(alt) !== null,
      text(new RegExp(`^list .*${lit(svc).source}`)) ?? "not listed",
    );
  }
  c.add(
    "template instance runs with its parameter",
    text(/^template instance running param=one$/) !== null,
  );

  const orphans = text(/^orphans made=/);
  c.add(
    "20 orphans reaped by pid 1",
    orphans === "orphans made=20 left=0",
    orphans ?? "no orphans marker",
  );
  const zombies = text(/^zombies /);
  c.add("0 zombies", zombies === "zombies 0", zombies ?? "no zombies marker");
  const reaps = text(/^info (total_)?reaps \d+/);
  const n = Number(reaps?.match(/(\d+)$/)?.[1] ?? -1);
  c.add("nitro counts >= 20 reaps", n >= 20, reaps ?? "no reaps in info");

  const logs = inOrder(
    m,
    [1, 2, 3, 4, 5, 6].map((i) => new RegExp(`^log: logged line ${i}$`)),
  );
  c.add(
    "log lines arrive through the log link, in order",
    logs.ok,
    logs.detail,
  );

  const asked = find(m, /^action Shutdown$/);
  c.add("nitroctl Shutdown issued", asked >= 0);
  const finish = find(m, /^sys-finish 0 0 shutdown$/, asked);
  c.add(
    "SYS/finish ran with 0 0 shutdown",
    asked >= 0 && finish > asked,
    finish < 0 ? "no sys-finish marker" : "",
  );
  const final = find(m, /^sys-final shutdown$/, finish);
  c.add("SYS/final ran with shutdown", final > finish && finish >= 0);
  const downs = SERVICES.map((s) => {
    const [name, param] = s.split("@");
    const re = param
      ? new RegExp(`^down ${name}@ ${param} `)
      : new RegExp(`^down ${lit(name).source} `);
    return find(m, re, finish);
  });
  const missing = SERVICES.filter((_, i) => downs[i] < 0);
  c.add(
    "every service down after SYS/finish, before SYS/final",
    finish >= 0 && missing.length === 0 && final > 0 &&
      downs.every((d) => d < final),
    missing.length ? `not down: ${missing.join(", ")}` : "",
  );
  const logged = downs[SERVICES.indexOf("logged")];
  const sink = downs[SERVICES.indexOf("logsink")];
  c.add(
    "the logger goes down after the service it logs",
    logged >= 0 && sink > logged,
  );
  const power = find(r.console, lit(POWER_DOWN));
  const finalLine = final >= 0 ? m[final] : undefined;
  c.add(
    "power-off comes after SYS/final",
    power >= 0 && finalLine !== undefined &&
      r.console[power].ms >= finalLine.ms,
  );
  ending(c, r, "power-off", asked >= 0 ? m[asked] : undefined);
  return c.checks;
}

/** `nitroctl Reboot` to a real reboot. */
export function checkRebootBoot(r: BootRecord): Check[] {
  const c = new Checker("reboot");
  const m = markers(r.console);
  common(c, r);
  const asked = find(m, /^action Reboot$/);
  c.add("nitroctl Reboot issued", asked >= 0);
  const seq = inOrder(m.slice(Math.max(0, asked)), [
    /^sys-finish 0 0 reboot$/,
    /^down /,
    /^sys-final reboot$/,
  ]);
  c.add(
    "SYS/finish reboot, services down, SYS/final reboot",
    seq.ok,
    seq.detail,
  );
  ending(c, r, "reboot", asked >= 0 ? m[asked] : undefined);
  return c.checks;
}

/** Single-user mode (`S`), ended by Ctrl-Alt-Del from QEMU's monitor. */
export function checkSingleCadBoot(r: BootRecord, cadSent: boolean): Check[] {
  const c = new Checker("single+ctrl-alt-del");
  const m = markers(r.console);
  common(c, r);
  c.add(
    "S on the command line: /etc/nitro.single is supervised",
    find(m, /^single running in \/etc\/nitro\.single\/single$/) >= 0,
  );
  c.add(
    "S on the command line: /etc/nitro is not",
    find(m, /^(sys-setup ran|check start|plain running)/) < 0,
  );
  c.add("Ctrl-Alt-Del sent by QEMU's monitor", cadSent);
  const ready = find(m, /^ready-for-cad$/);
  c.add(
    "Ctrl-Alt-Del: orderly reboot (SYS/final reboot)",
    find(m, /^single sys-final reboot$/, ready) > ready && ready >= 0,
  );
  ending(c, r, "reboot", ready >= 0 ? m[ready] : undefined);
  return c.checks;
}

/** An unrecoverable error (socket directory cannot be made): SYS/fatal. */
export function checkFatalBoot(r: BootRecord, sock: string): Check[] {
  const c = new Checker("fatal");
  const m = markers(r.console);
  common(c, r);
  c.add("SYS/fatal ran", find(m, /^sys-fatal ran$/) >= 0);
  c.add("SYS/setup did not run", find(m, /^sys-setup ran/) < 0);
  const said = find(r.console, new RegExp(`nitro.*${lit(sock).source}`));
  c.add(
    "nitro names the socket it could not make",
    said >= 0,
    said >= 0 ? r.console[said].text : "",
  );
  ending(c, r, "reboot", undefined);
  return c.checks;
}
