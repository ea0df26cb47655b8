/**
 * `deno task bench [SECTION…]`: nitro's benchmarks, each against a
 * baseline measured in the same run, on real processes in temporary
 * directories. Scripts, not timed tests: every figure is one line (what was
 * measured, the figure, the baseline, how they compare, the target), and
 * the run exits 1 when a target is missed.
 *
 * ```sh
 * deno task bench                       # every section
 * deno task bench memory restarts       # some of them
 * deno task bench peers --peer-sizes=100,1000
 * deno task bench scale --scale-sizes=100,1000,5000,10000
 * deno task bench nitroctl peers scale --write-docs   # docs/performance.md
 * deno task bench --json                # also the raw figures as JSON
 * deno task bench --help                # the sections and their options
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { type Figure, formatFigure, ROOT, warmDaemon } from "./common.ts";
import { memory, memoryFigures } from "./memory.ts";
import { restarts, restartsFigures } from "./restarts.ts";
import { ctlStartup, describe, TARGET_RATIO } from "./ctl_startup.ts";
import { logs, logsFigures } from "./logs.ts";
import { peers, peersFigures, peersTable } from "./peers.ts";
import { controlMemory, controlMemoryFigures } from "./control_memory.ts";
import { readiness, readinessFigures } from "./readiness.ts";
import { scale, scaleFigures, scalePanels, scaleTable } from "./scale.ts";
import { chartSvg } from "./chart.ts";
import { controlFlood, controlFloodFigures } from "./control_flood.ts";
import { forkbomb, forkbombFigures } from "./forkbomb.ts";
import { notifyFlood, notifyFloodFigures } from "./notify_flood.ts";
import { replaceBlock, reportBlock, type ReportSection } from "./report.ts";

type Values = Record<string, string | boolean | undefined>;

/** What a section hands back: its lines, whether targets are met, data. */
interface Outcome {
  lines: string[];
  ok: boolean;
  raw: unknown;
  /** What it gives docs/performance.md, beyond its lines. */
  report?: Partial<ReportSection>;
  /** Files it gives docs/ (name → content). */
  files?: Record<string, string>;
}

/** One section of the benchmark. */
interface Section {
  about: string;
  run(v: Values): Promise<Outcome>;
}

const num = (v: Values, key: string) => Number(v[key]);
const list = (v: Values, key: string) =>
  String(v[key]).split(",").map(Number).filter((x) => x > 0);

/** Lines and verdict of a list of figures. */
function fromFigures(figures: Figure[], raw: unknown): Outcome {
  return {
    lines: figures.map(formatFigure),
    ok: figures.every((f) => f.ok !== false),
    raw,
  };
}

const SECTIONS: Record<string, Section> = {
  memory: {
    about:
      "nitro's RSS with 100 and 2,000 services, after boot and at rest, and its idle CPU, against an idle Deno listener (--sizes, --idle, --memory-runs)",
    run: async (v) => {
      const r = await memory({
        sizes: list(v, "sizes"),
        idleSeconds: num(v, "idle"),
        runs: num(v, "memory-runs"),
      });
      return fromFigures(memoryFigures(r), r);
    },
  },
  restarts: {
    about:
      "nitro's RSS after 2N against N restarts of a service and its logger (--restarts=N)",
    run: async (v) => {
      const r = await restarts({ restarts: num(v, "restarts") });
      return fromFigures(restartsFigures(r), r);
    },
  },
  nitroctl: {
    about: "nitroctl's start-up against an empty deno run (--runs)",
    run: async (v) => {
      const r = await ctlStartup({ runs: num(v, "runs") });
      return { lines: [describe(r)], ok: r.ratio <= TARGET_RATIO, raw: r };
    },
  },
  logs: {
    about: "log throughput through nitro against a plain pipe (--rounds, --mb)",
    run: async (v) => {
      const r = await logs({
        rounds: num(v, "rounds"),
        bytes: num(v, "mb") * 1_000_000,
      });
      return fromFigures(logsFigures(r), r);
    },
  },
  control: {
    about:
      "nitro's memory under clients that never read, and a restart during slow requests (--control-services, --path-services)",
    run: async (v) => {
      const r = await controlMemory({
        services: num(v, "control-services"),
        pathServices: num(v, "path-services"),
      });
      return fromFigures(controlMemoryFigures(r), r);
    },
  },
  flood: {
    about:
      "nitro under request floods: 64 clients pipelining waits that cannot finish (memory, no lockout), a list during 200 pipelined rescans on 3,000 services",
    run: async () => {
      const r = await controlFlood();
      return fromFigures(controlFloodFigures(r), r);
    },
  },
  "notify-flood": {
    about:
      "restart latency and RSS with 100 notify receivers that never read, against none, over 1,000 and 4,000 restarts (--restarts, --receivers)",
    run: async (v) => {
      const r = await notifyFlood({
        restarts: num(v, "restarts"),
        receivers: num(v, "receivers"),
      });
      return fromFigures(notifyFloodFigures(r), r);
    },
  },
  forkbomb: {
    about:
      "nitro and C nitro under a fork bomb in a pids cgroup (max 200): lists answered, alive, how soon a victim runs again (root)",
    run: async () => {
      const r = await forkbomb({ seconds: 15 });
      return fromFigures(forkbombFigures(r), r);
    },
  },
  readiness: {
    about:
      "UP after notification-fd with many services at once, and the cost of the readiness relays (--readiness-services)",
    run: async (v) => {
      const r = await readiness({ services: num(v, "readiness-services") });
      return fromFigures(readinessFigures(r), r);
    },
  },
  history: {
    about: "the event history's memory after 100,000 and 1,000,000 events",
    run: async () => {
      // A script of its own: it needs V8's gc() for exact heap figures.
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--v8-flags=--expose-gc",
          new URL("./history.ts", import.meta.url).pathname,
          "--json",
        ],
        stdin: "null",
        stderr: "inherit",
      }).output();
      const [line, json] = new TextDecoder().decode(out.stdout).trim().split(
        "\n",
      );
      return {
        lines: [line ?? "history: no output"],
        ok: out.success,
        raw: json ? JSON.parse(json) : null,
      };
    },
  },
  peers: {
    about:
      "boot, memory, status and restart beside C nitro ($NITRO_C_DIR), runit, s6, supervisord, tini (--peer-sizes, --queries, --kills, --peers=nitro,c,s6,…)",
    run: async (v) => {
      const r = await peers({
        sizes: list(v, "peer-sizes"),
        queries: num(v, "queries"),
        kills: num(v, "kills"),
        only: v.peers ? String(v.peers).split(",") : undefined,
      });
      const out = fromFigures(peersFigures(r), r);
      const errors = r.results.filter((x) => x.error).map((x) =>
        `${x.peer}, ${x.services} services: ${x.error}`
      );
      const queries = r.results.filter((x) => x.statusQuery).map((x) =>
        `(${x.peer}'s status query was \`${x.statusQuery}\`)`
      );
      return {
        ...out,
        report: { table: peersTable(r), lines: [...out.lines, ...queries] },
        lines: [
          peersTable(r),
          "",
          ...out.lines,
          ...queries,
          ...errors,
          ...r.absent.filter((a) => a.install.startsWith("apt-get")).map((a) =>
            `${a.peer} is absent: \`${a.install}\` adds it to the comparison`
          ),
        ],
      };
    },
  },
  scale: {
    about:
      "boot, memory, CPU, list, rescan, restart and shutdown of 100 to 10,000 services: nitro, s6, C nitro (to 498), runit and supervisord (to 1,000) (--scale-sizes, --scale-peers, --kills, --profile=DIR)",
    run: async (v) => {
      const r = await scale({
        sizes: list(v, "scale-sizes"),
        peers: v["scale-peers"]
          ? String(v["scale-peers"]).split(",")
          : undefined,
        kills: num(v, "kills"),
        profileDir: v.profile ? String(v.profile) : undefined,
      });
      const figures = scaleFigures(r.results);
      const table = scaleTable(r.results);
      const absent = r.absent.map((a) => `${a.peer} is absent: ${a.install}`);
      const errors = r.results.filter((x) => x.error).map((x) =>
        `${x.peer}, ${x.services} services: ${x.error}`
      );
      const svg = chartSvg(scalePanels(r.results), {
        title: "Supervision costs against the number of services",
        subtitle: "log–log: a cost that grows as N is a line of slope 1, " +
          "as N² of slope 2; lower is better",
      });
      return {
        lines: [
          table,
          "",
          ...figures.map(formatFigure),
          ...r.limits.map((l) => `limit: ${l}`),
          ...absent,
          ...errors,
        ],
        ok: figures.every((f) => f.ok !== false),
        raw: r,
        report: {
          table,
          image: { path: "performance.svg", alt: "each figure against N" },
          lines: [...figures.map(formatFigure), ...absent],
        },
        files: { "performance.svg": svg },
      };
    },
  },
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    sizes: { type: "string", default: "100,2000" },
    idle: { type: "string", default: "15" },
    "memory-runs": { type: "string", default: "3" },
    restarts: { type: "string", default: "1000" },
    runs: { type: "string", default: "60" },
    rounds: { type: "string", default: "25" },
    mb: { type: "string", default: "200" },
    "peer-sizes": { type: "string", default: "100,500,1000" },
    queries: { type: "string", default: "15" },
    kills: { type: "string", default: "20" },
    "scale-sizes": { type: "string", default: "100,1000,5000,10000" },
    "scale-peers": { type: "string" },
    profile: { type: "string" },
    "write-docs": { type: "boolean", default: false },
    peers: { type: "string" },
    "readiness-services": { type: "string", default: "200" },
    receivers: { type: "string", default: "100" },
    "control-services": { type: "string", default: "500" },
    "path-services": { type: "string", default: "1000" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: deno task bench [SECTION…] [--json]\nsections:");
  for (const [name, s] of Object.entries(SECTIONS)) {
    console.log(`  ${name.padEnd(10)} ${s.about}`);
  }
  Deno.exit(0);
}
const which = positionals.length > 0 ? positionals : Object.keys(SECTIONS);
for (const w of which) {
  if (!(w in SECTIONS)) {
    console.error(
      `bench: unknown section ${w} (${Object.keys(SECTIONS).join(", ")})`,
    );
    Deno.exit(2);
  }
}

/** `uptime`'s load averages, as the machine says them. */
async function load(): Promise<string> {
  try {
    const out = await new Deno.Command("uptime", { stderr: "null" }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return text.slice(text.indexOf("load average")) || text;
  } catch {
    return "unknown (no uptime)";
  }
}

await warmDaemon();
const startedAt = new Date();
const loadBefore = await load();
let ok = true;
const raw: Record<string, unknown> = {};
const sections: ReportSection[] = [];
const files: Record<string, string> = {};
const limits: string[] = [];
for (const name of which) {
  console.log(`\n== ${name}: ${SECTIONS[name].about}`);
  const outcome = await SECTIONS[name].run(values);
  for (const line of outcome.lines) console.log(line);
  ok &&= outcome.ok;
  raw[name] = outcome.raw;
  sections.push({
    title: name,
    about: SECTIONS[name].about,
    lines: outcome.lines,
    ...outcome.report,
  });
  Object.assign(files, outcome.files);
  limits.push(
    ...outcome.lines.filter((l) => l.startsWith("limit: ")).map((l) =>
      l.slice("limit: ".length)
    ),
  );
}
if (values.json) console.log(JSON.stringify(raw, null, 2));
if (values["write-docs"]) {
  const docs = join(ROOT, "docs");
  const page = join(docs, "performance.md");
  const block = reportBlock({
    command: ["deno task bench", ...Deno.args.filter((a) => a !== "--json")]
      .join(" "),
    date: startedAt.toISOString().slice(0, 16).replace("T", " "),
    machine:
      `${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.osRelease()}, Deno ${Deno.version.deno}`,
    load: { before: loadBefore, after: await load() },
    limits,
    sections,
  });
  let doc = "";
  try {
    doc = Deno.readTextFileSync(page);
  } catch {
    // A first run makes the page.
  }
  Deno.writeTextFileSync(page, replaceBlock(doc, block));
  for (const [name, content] of Object.entries(files)) {
    Deno.writeTextFileSync(join(docs, name), content);
  }
  // `deno fmt --check` checks them with the rest of the repository.
  await new Deno.Command(Deno.execPath(), {
    args: [
      "fmt",
      "--quiet",
      page,
      ...Object.keys(files).map((f) => join(docs, f)),
    ],
  }).output();
  console.log(
    `\nwrote ${
      [page, ...Object.keys(files).map((f) => join(docs, f))].join(", ")
    }`,
  );
}
Deno.exit(ok ? 0 : 1);
