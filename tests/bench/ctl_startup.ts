/**
 * What a `nitroctl` call costs on top of Deno's own start-up: the median
 * wall time of `nitroctl pidof svc` against a real nitro, next to an empty
 * `deno run` with the same flags, interleaved in the same run. Target: the
 * ratio ≤ 1.2.
 *
 * nitroctl is timed twice: from its source modules (as `deno task nitroctl`
 * runs it) and as one file made by `deno bundle`. Deno pays a fixed cost per
 * module it loads (measured here about 0.4 ms each, whatever their size),
 * so the count of modules loaded before the request is printed too: it is
 * the figure that decides most of the difference, and bundling removes it.
 *
 * ```sh
 * deno run --allow-all tests/bench/ctl_startup.ts [--runs=60]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { PERMISSIONS } from "../../ci/permissions.ts";
import { Nitro, nitroctlArgs } from "../helpers/nitro.ts";

/** Figures of one run. */
export interface CtlStartupResult {
  /** Median wall time of `nitroctl pidof svc`, ms. */
  ctlMs: number;
  /** Median wall time of an empty `deno run` with nitroctl's flags, ms. */
  bareMs: number;
  /** ctlMs / bareMs. */
  ratio: number;
  /** Median wall time of the same call with nitroctl bundled, ms. */
  bundledMs: number;
  /** bundledMs / bareMs. */
  bundledRatio: number;
  /** Runs of each. */
  runs: number;
  /** Modules in nitroctl's static import graph (loaded before any request). */
  staticModules: number;
}

/** The target for {@link CtlStartupResult.ratio}. */
export const TARGET_RATIO = 1.2;

/** Measure; everything started is stopped before this resolves. */
export async function ctlStartup(
  opts: { runs?: number } = {},
): Promise<CtlStartupResult> {
  const runs = opts.runs ?? 60;
  const n = await Nitro.create({
    svc: { run: "#!/bin/sh\nexec sleep 1000\n" },
  });
  try {
    await n.start();
    const started = await n.ctl(["-t", "20", "start", "svc"]);
    if (started.code !== 0) throw new Error(`start: ${started.stderr}`);
    const empty = join(n.root, "empty.ts");
    await Deno.writeTextFile(empty, "");
    const env = n.env();
    const deno = Deno.execPath();
    const bundle = join(n.root, "nitroctl.js");
    await bundleNitroctl(bundle);
    const variants = {
      bare: ["run", "--quiet", ...PERMISSIONS.nitroctl, empty],
      ctl: nitroctlArgs(["pidof", "svc"]),
      bundled: [
        "run",
        "--quiet",
        ...PERMISSIONS.nitroctl,
        bundle,
        "pidof",
        "svc",
      ],
    };
    type Variant = keyof typeof variants;
    const times: Record<Variant, number[]> = { bare: [], ctl: [], bundled: [] };
    const names: Variant[] = ["bare", "ctl", "bundled"];
    // Warm the module cache and the page cache for each.
    for (let i = 0; i < 3; i++) {
      for (const v of names) await timed(deno, variants[v], env);
    }
    for (let i = 0; i < runs; i++) {
      // Rotate which goes first, so none always follows another.
      for (let k = 0; k < names.length; k++) {
        const v = names[(i + k) % names.length];
        times[v].push(await timed(deno, variants[v], env));
      }
    }
    const b = median(times.bare);
    const c = median(times.ctl);
    const d = median(times.bundled);
    return {
      ctlMs: c,
      bareMs: b,
      ratio: c / b,
      bundledMs: d,
      bundledRatio: d / b,
      runs,
      staticModules: await staticModules(),
    };
  } finally {
    await n.stop();
  }
}

/** The one line a user reads. */
export function describe(r: CtlStartupResult): string {
  const met = (ratio: number) => ratio <= TARGET_RATIO ? "met" : "MISSED";
  return `nitroctl start-up (pidof, median of ${r.runs}): ` +
    `${r.ctlMs.toFixed(1)} ms from source ` +
    `(${r.staticModules} modules before the request), ` +
    `${r.bundledMs.toFixed(1)} ms bundled; ` +
    `baseline an empty deno run ${r.bareMs.toFixed(1)} ms; ` +
    `${r.ratio.toFixed(2)}× from source, ${r.bundledRatio.toFixed(2)}× ` +
    `bundled; target ≤ ${TARGET_RATIO}×: ${met(r.ratio)} from source, ` +
    `${met(r.bundledRatio)} bundled`;
}

/** nitroctl as one JavaScript file, written to `out` by `deno bundle`. */
async function bundleNitroctl(out: string): Promise<void> {
  const cli = new URL("../../cli/nitroctl.ts", import.meta.url).pathname;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "-o", out, cli],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (result.code !== 0) {
    throw new Error(
      `deno bundle: ${new TextDecoder().decode(result.stderr)}`,
    );
  }
}

/** Wall time of one run, ms; a failing run is an error. */
async function timed(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (out.code !== 0) {
    throw new Error(
      `${args.join(" ")}: exit ${out.code}: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return ms;
}

/**
 * Modules nitroctl loads before it can send a request: the closure of its
 * static, non-type imports (dynamic imports load later, only when needed).
 */
async function staticModules(): Promise<number> {
  const cli = new URL("../../cli/nitroctl.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", cli],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: {
        code?: { specifier: string };
        isDynamic?: boolean;
      }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>([cli]);
  const queue = [cli];
  for (let next; (next = queue.pop()) !== undefined;) {
    for (const dep of bySpecifier.get(next)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (target === undefined || dep.isDynamic || seen.has(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return seen.size;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string", default: "60" } },
  });
  const r = await ctlStartup({ runs: Number(values.runs) });
  console.log(describe(r));
  Deno.exit(r.ratio <= TARGET_RATIO ? 0 : 1);
}
