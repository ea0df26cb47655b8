/**
 * One boot under QEMU (TCG, no KVM): the serial console is QEMU's stdout,
 * the monitor a Unix socket (for `sendkey`). With `-no-reboot`, QEMU exits
 * on the guest's power-off and on its reboot alike; the kernel's last line
 * tells which. QEMU is killed (by pid) if it has not exited by the
 * deadline.
 *
 * @module
 */

import { join } from "node:path";
import type { ConsoleLine } from "./checks.ts";

/** How long a monitor command may take to be answered. */
const MONITOR_TIMEOUT_MS = 10_000;

/** What one boot needs. */
export interface BootOptions {
  /** Kernel image. */
  kernel: string;
  /** Initramfs (cpio). */
  initrd: string;
  /** Kernel command line. */
  append: string;
  /** A directory for the monitor socket. */
  workDir: string;
  /** Kill QEMU after this long. */
  timeoutMs: number;
  /**
   * Once a console line contains `marker` (the guest asked to power off or
   * reboot), QEMU gets only `ms` more: a broken end fails fast.
   */
  endAfter?: { marker: string; ms: number };
  /** Called with every console line as it arrives. */
  onLine?: (line: string, boot: Boot) => void;
}

/** A running boot. */
export interface Boot {
  /** Send a QEMU monitor command (e.g. `sendkey ctrl-alt-delete`). */
  monitor(command: string): Promise<void>;
}

/** How a boot ended. */
export interface BootResult {
  /** The serial console, lines without carriage returns. */
  console: ConsoleLine[];
  /** True if QEMU exited by itself (power-off or reboot), false if killed. */
  exited: boolean;
  /** QEMU's exit code (when it exited by itself). */
  code: number | null;
  /** Milliseconds from start to QEMU's end. */
  ms: number;
  /** QEMU's own stderr. */
  stderr: string;
}

/** The QEMU command line for one boot. Pure. */
export function qemuArgs(
  o: { kernel: string; initrd: string; append: string; monitor: string },
): string[] {
  return [
    "-machine",
    "pc,accel=tcg",
    "-cpu",
    "max",
    "-m",
    "1024",
    "-smp",
    "1",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-monitor",
    `unix:${o.monitor},server,nowait`,
    "-no-reboot",
    "-kernel",
    o.kernel,
    "-initrd",
    o.initrd,
    "-append",
    o.append,
  ];
}

/** QEMU processes running now, for {@link killRunning}. */
const running = new Set<Deno.ChildProcess>();

/** Kill every QEMU this module started and that still runs (by pid). */
export function killRunning(): void {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Boot once and collect the console until QEMU ends. */
export async function boot(o: BootOptions): Promise<BootResult> {
  const monitorPath = join(o.workDir, "monitor.sock");
  const start = performance.now();
  const child = new Deno.Command("qemu-system-x86_64", {
    args: qemuArgs({ ...o, monitor: monitorPath }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running.add(child);
  let killed = false;
  const kill = () => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  let deadline = setTimeout(kill, o.timeoutMs);
  let ending = false;
  const handle: Boot = {
    async monitor(command: string) {
      const conn = await Deno.connect({ transport: "unix", path: monitorPath });
      // The command is done when QEMU shows its second prompt (the first
      // follows its greeting).
      const timer = setTimeout(() => conn.close(), MONITOR_TIMEOUT_MS);
      try {
        await conn.write(new TextEncoder().encode(`${command}\n`));
        const dec = new TextDecoder();
        let seen = "";
        const buf = new Uint8Array(4096);
        while ((seen.match(/\(qemu\)/g) ?? []).length < 2) {
          const n = await conn.read(buf);
          if (n === null) throw new Error(`monitor closed: ${seen}`);
          seen += dec.decode(buf.subarray(0, n));
        }
      } finally {
        clearTimeout(timer);
        try {
          conn.close();
        } catch {
          // Closed by the timer.
        }
      }
    },
  };
  const lines: ConsoleLine[] = [];
  const stderr = new Response(child.stderr).text();
  let partial = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = partial + dec.decode(chunk, { stream: true });
    const parts = text.split("\n");
    partial = parts.pop()!;
    for (const raw of parts) {
      const line = raw.replace(/\r/g, "");
      lines.push({ ms: Math.round(performance.now() - start), text: line });
      if (o.endAfter && !ending && line.includes(o.endAfter.marker)) {
        ending = true;
        clearTimeout(deadline);
        deadline = setTimeout(kill, o.endAfter.ms);
      }
      o.onLine?.(line, handle);
    }
  }
  if (partial) {
    const ms = Math.round(performance.now() - start);
    lines.push({ ms, text: partial.replace(/\r/g, "") });
  }
  const status = await child.status;
  running.delete(child);
  clearTimeout(deadline);
  await Deno.remove(monitorPath).catch(() => {});
  return {
    console: lines,
    exited: !killed,
    code: killed ? null : status.code,
    ms: Math.round(performance.now() - start),
    stderr: await stderr,
  };
}
