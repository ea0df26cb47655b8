/**
 * `deno task bench`: the resource benchmarks of issues 2 and 3, run against
 * a real nitro on temporary directories. Scripts, not timed tests: they
 * print figures and PASS/MISS against the targets, and exit 1 on a MISS.
 *
 * ```sh
 * deno task bench                 # both
 * deno task bench issue2 --runs=30 --idle=10
 * deno task bench issue3 --rounds=9 --mb=200
 * deno task bench --json          # also print the raw figures as JSON
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { issue2, type Issue2Result, printIssue2 } from "./issue2.ts";
import { issue3, type Issue3Result, printIssue3 } from "./issue3.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "30" },
    idle: { type: "string", default: "10" },
    rounds: { type: "string", default: "9" },
    mb: { type: "string", default: "200" },
    json: { type: "boolean", default: false },
  },
});
const which = positionals.length > 0 ? positionals : ["issue2", "issue3"];
for (const w of which) {
  if (w !== "issue2" && w !== "issue3") {
    console.error(`bench: unknown benchmark ${w} (issue2, issue3)`);
    Deno.exit(2);
  }
}

const results: { issue2?: Issue2Result; issue3?: Issue3Result } = {};
let ok = true;
if (which.includes("issue2")) {
  const r = await issue2({
    runs: Number(values.runs),
    idleSeconds: Number(values.idle),
  });
  printIssue2(r);
  results.issue2 = r;
  ok &&= r.rssKb <= 45 * 1024 && r.idleTicks === 0 && r.ratio <= 1.3;
}
if (which.includes("issue3")) {
  const r = await issue3({
    rounds: Number(values.rounds),
    bytes: Number(values.mb) * 1_000_000,
  });
  printIssue3(r);
  results.issue3 = r;
  ok &&= r.coldRatio >= 0.9 && r.warmRatio >= 0.9;
}
if (values.json) console.log(JSON.stringify(results, null, 2));
Deno.exit(ok ? 0 : 1);
