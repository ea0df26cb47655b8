/**
 * Unit tests of the vmtest's pure parts (tests/vm/): the checks on a
 * console transcript, the kernel dependency and ldd parsers, the cache
 * directory and the command lines. The boots themselves run only in
 * `deno task vmtest`.
 */

import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type BootRecord,
  checkFatalBoot,
  checkRebootBoot,
  checkShutdownBoot,
  checkSingleCadBoot,
  type ConsoleLine,
  END_LIMIT_MS,
  markers,
} from "./checks.ts";
import { cacheDir, kernelDependency } from "./inputs.ts";
import { parseLdd } from "./initramfs.ts";
import { kernelCommandLine, launcherCommand } from "./main.ts";
import { qemuArgs } from "./qemu.ts";

const EXEC = "/bin/deno run --quiet /nitro/cli/nitro.ts";

/** A console of `texts`, one second apart. */
function lines(texts: string[]): ConsoleLine[] {
  return texts.map((text, i) => ({ ms: i * 1000, text }));
}

function record(texts: string[], exited = true): BootRecord {
  const console = lines(texts);
  return { console, exited, endMs: console.length * 1000 };
}

/** What a good shutdown boot prints (abridged, with kernel noise). */
const GOOD_SHUTDOWN = [
  "[    9.9] Run /usr/bin/nitro as init process",
  "- nitro: booting",
  "VMTEST sys-setup ran pid=87 args=",
  "VMTEST check start mode=shutdown",
  `VMTEST pid1-cmdline ${EXEC} `,
  "VMTEST mount /proc proc rw,nosuid,nodev,noexec,relatime",
  "VMTEST mount /dev devtmpfs rw,nosuid,relatime,mode=755",
  "VMTEST mount /run tmpfs rw,nosuid,nodev,relatime,mode=755,inode64",
  "VMTEST logsink running",
  "VMTEST plain running",
  "VMTEST log: logged line 1",
  "VMTEST log: logged line 2",
  "VMTEST log: logged line 3",
  "VMTEST template instance running param=one",
  "VMTEST log: logged line 4",
  "VMTEST log: logged line 5",
  "VMTEST orphans made=20 left=0",
  "VMTEST log: logged line 6",
  "VMTEST before-ready STARTING ready (pid 111) (wstatus 0) 9s",
  "VMTEST ready notifying (go)",
  ...["check", "logged", "logsink", "orphans", "plain", "ready", "tty@one"]
    .map((s) => `VMTEST list UP ${s} (pid 90) (wstatus 0) 40s`),
  "VMTEST info pid 1",
  "VMTEST info total_reaps 21",
  "VMTEST zombies 0",
  "VMTEST action Shutdown",
  "- nitro: shutting down",
  "VMTEST sys-finish 0 0 shutdown",
  "- nitro: waiting for 7 services... VMTEST down ready status=-1 signal=15",
  "VMTEST down plain status=-1 signal=15",
  "VMTEST down orphans status=-1 signal=15",
  "VMTEST down logged status=-1 signal=15",
  "VMTEST down check status=-1 signal=15",
  "VMTEST down tty@ one status=-1 signal=15",
  "VMTEST down logsink status=0 signal=0",
  "VMTEST sys-final shutdown",
  "[  157.2] reboot: Power down",
];

function failed(checks: { name: string; ok: boolean }[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => c.name);
}

Deno.test("markers: strips the prefix, finds it mid-line", () => {
  assertEquals(
    markers(lines(["x", "- nitro: waiting... VMTEST down a", "VMTEST b"]))
      .map((l) => l.text),
    ["down a", "b"],
  );
});

Deno.test("shutdown boot: a good console passes every check", () => {
  const checks = checkShutdownBoot(record(GOOD_SHUTDOWN), EXEC);
  assertEquals(failed(checks), []);
  assert(checks.length >= 25);
});

Deno.test("shutdown boot: no power-off (QEMU killed) fails", () => {
  const texts = GOOD_SHUTDOWN.slice(0, -1); // no "reboot: Power down"
  const f = failed(checkShutdownBoot(record(texts, false), EXEC));
  assert(f.includes("shutdown: QEMU exited by itself (power-off)"), `${f}`);
  assert(f.includes('shutdown: kernel says "reboot: Power down"'), `${f}`);
  assert(f.includes("shutdown: power-off comes after SYS/final"), `${f}`);
});

Deno.test("shutdown boot: a reboot instead of a power-off fails", () => {
  const texts = [...GOOD_SHUTDOWN.slice(0, -1), "reboot: Restarting system"];
  const f = failed(checkShutdownBoot(record(texts), EXEC));
  assert(f.includes('shutdown: kernel says "reboot: Power down"'), `${f}`);
});

Deno.test("shutdown boot: too slow a power-off fails", () => {
  const r = record(GOOD_SHUTDOWN);
  r.endMs += END_LIMIT_MS;
  assertEquals(failed(checkShutdownBoot(r, EXEC)), [
    `shutdown: power-off within ${END_LIMIT_MS / 1000} s of the request`,
  ]);
});

Deno.test("shutdown boot: each broken fact fails its own check", () => {
  const cases: [string, string | null, string][] = [
    ["VMTEST pid1-cmdline", "VMTEST pid1-cmdline /bin/sh x", "pid 1 is"],
    ["VMTEST mount /dev", null, "/dev mounted"],
    ["VMTEST zombies 0", "VMTEST zombies 3", "0 zombies"],
    ["VMTEST orphans made", "VMTEST orphans made=20 left=2", "20 orphans"],
    ["VMTEST info total_reaps", "VMTEST info total_reaps 1", "reaps"],
    ["VMTEST before-ready", "VMTEST before-ready UP ready", "readiness"],
    ["VMTEST list UP tty@one", null, "service tty@one UP"],
    ["VMTEST log: logged line 3", null, "log lines"],
    ["VMTEST sys-final", null, "SYS/final ran"],
    ["VMTEST down logsink", "VMTEST down x", "logger goes down after"],
    ["VMTEST template", null, "template instance runs"],
  ];
  for (const [prefix, replacement, check] of cases) {
    const texts = GOOD_SHUTDOWN.flatMap((t) =>
      t.startsWith(prefix) ? (replacement === null ? [] : [replacement]) : [t]
    );
    const f = failed(checkShutdownBoot(record(texts), EXEC));
    assert(f.some((n) => n.includes(check)), `${prefix}: ${f}`);
  }
});

Deno.test("shutdown boot: SYS/setup after a service fails", () => {
  const texts = [...GOOD_SHUTDOWN];
  const i = texts.indexOf("VMTEST sys-setup ran pid=87 args=");
  texts.splice(i, 1);
  texts.splice(texts.indexOf("VMTEST plain running") + 1, 0, GOOD_SHUTDOWN[i]);
  assertEquals(failed(checkShutdownBoot(record(texts), EXEC)), [
    "shutdown: SYS/setup ran, before any service",
  ]);
});

const GOOD_REBOOT = [
  "VMTEST action Reboot",
  "VMTEST sys-finish 0 0 reboot",
  "VMTEST down plain status=-1 signal=15",
  "VMTEST sys-final reboot",
  "[ 70.1] reboot: Restarting system",
];

Deno.test("reboot boot: good and broken", () => {
  assertEquals(failed(checkRebootBoot(record(GOOD_REBOOT))), []);
  const poweredOff = [...GOOD_REBOOT.slice(0, -1), "reboot: Power down"];
  assert(failed(checkRebootBoot(record(poweredOff))).length > 0);
  assert(failed(checkRebootBoot(record(GOOD_REBOOT, false))).length > 0);
});

Deno.test("single-user boot with Ctrl-Alt-Del: good and broken", () => {
  const good = [
    "VMTEST single running in /etc/nitro.single/single",
    "VMTEST ready-for-cad",
    "VMTEST single sys-final reboot",
    "reboot: Restarting system",
  ];
  assertEquals(failed(checkSingleCadBoot(record(good), true)), []);
  assertEquals(failed(checkSingleCadBoot(record(good), false)), [
    "single+ctrl-alt-del: Ctrl-Alt-Del sent by QEMU's monitor",
  ]);
  const wrongDir = ["VMTEST sys-setup ran pid=1", ...good];
  assert(failed(checkSingleCadBoot(record(wrongDir), true)).length > 0);
  const ignored = good.slice(0, 2); // CAD had no effect: killed at deadline
  assert(failed(checkSingleCadBoot(record(ignored, false), true)).length >= 3);
});

Deno.test("fatal boot: good and broken", () => {
  const sock = "/etc/x/nitro.sock";
  const good = [
    `nitro: cannot create ${sock}: Not a directory`,
    "VMTEST sys-fatal ran",
    "reboot: Restarting system",
  ];
  assertEquals(failed(checkFatalBoot(record(good), sock)), []);
  const noFatal = [good[0], good[2]];
  assertEquals(failed(checkFatalBoot(record(noFatal), sock)), [
    "fatal: SYS/fatal ran",
  ]);
  const panic = [...good.slice(0, 2), "Kernel panic - not syncing"];
  assert(failed(checkFatalBoot(record(panic, false), sock)).length >= 2);
});

Deno.test("kernelDependency: the versioned linux-image package", () => {
  assertEquals(
    kernelDependency("linux-image-6.1.0-56-amd64 (= 6.1.192-2)"),
    { name: "linux-image-6.1.0-56-amd64", version: "6.1.192-2" },
  );
  assertEquals(
    kernelDependency("linux-image-6.12.9+bpo-amd64"),
    { name: "linux-image-6.12.9+bpo-amd64", version: null },
  );
  assertEquals(kernelDependency("initramfs-tools"), null);
});

Deno.test("parseLdd: libraries and interpreter, not the vDSO", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f75)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f76)",
  ].join("\n");
  assertEquals(parseLdd(out), [
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
});

Deno.test("cacheDir: explicit, XDG, then HOME", () => {
  assertEquals(cacheDir({ NITRO_VMTEST_CACHE: "/c", HOME: "/h" }), "/c");
  assertEquals(
    cacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }),
    "/x/nitro-vmtest",
  );
  assertEquals(cacheDir({ HOME: "/h" }), "/h/.cache/nitro-vmtest");
});

Deno.test("command lines: rdinit, no KVM, no reboot", () => {
  assert(kernelCommandLine("single").endsWith(" S"));
  assert(kernelCommandLine("fatal").includes("NITRO_SOCK="));
  assert(kernelCommandLine("shutdown").includes("rdinit=/usr/bin/nitro"));
  const args = qemuArgs({
    kernel: "k",
    initrd: "i",
    append: "a",
    monitor: "/m",
  });
  assert(args.includes("-no-reboot"));
  assert(!args.includes("-enable-kvm"));
  assert(args.includes("pc,accel=tcg"));
  assertEquals(
    launcherCommand(`#!/bin/sh\nexec /bin/deno run '/a b/x.ts' "$@"\n`),
    "/bin/deno run /a b/x.ts",
  );
});
