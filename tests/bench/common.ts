/**
 * Shared pieces of the benchmarks: a real nitro on a temporary directory
 * (the test harness's, started with exactly the table's permissions),
 * /proc readings and small statistics.
 *
 * @module
 */

export { Nitro, nitroctlArgs, writeServices } from "../helpers/nitro.ts";
export type { ServiceFiles } from "../helpers/nitro.ts";

/** Root of the repository. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** Fields of /proc/PID/stat after the command name (index 0 = field 3). */
function statFields(pid: number): string[] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS of a process, in kB. */
export function rssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Sleep `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run a command to its end; throws with its stderr if it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
  }).output();
  const ms = performance.now() - t0;
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")}: exit ${out.code}\n${dec.decode(out.stderr)}`,
    );
  }
  return { ms, stdout: dec.decode(out.stdout) };
}

/** Print a heading and `key: value` lines. */
export function report(title: string, rows: [string, string][]): void {
  console.log(`\n== ${title}`);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** PASS/MISS against a target. */
export function verdict(ok: boolean): string {
  return ok ? "PASS" : "MISS";
}
