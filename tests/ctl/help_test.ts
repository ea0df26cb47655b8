/**
 * `nitroctl COMMAND --help`: that command's usage line and what it does,
 * exit 0, for every word of the command table; `nitroctl --help` lists
 * every command.
 *
 * @module
 */

import assert from "node:assert/strict";
import { COMMANDS, operands } from "../../src/ctl/commands.ts";
import { main } from "../../src/ctl/main.ts";
import { nitroctl } from "./run_nitroctl.ts";

/** nitroctl's main() in this process: status and output. */
async function inProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const SYNOPSIS = "nitroctl [-t SECONDS] [-v] [--json]";

Deno.test("help: COMMAND --help prints its usage line and what it does, exit 0", async () => {
  for (const c of COMMANDS) {
    const rest = operands(c) === "" ? "" : ` ${operands(c)}`;
    for (const word of [c.name, ...c.aliases]) {
      for (const flag of ["--help", "-h"]) {
        const { code, out, err } = await inProcess([word, flag]);
        assert.deepEqual([word, code, err], [word, 0, ""]);
        const lines = out.split("\n");
        assert.equal(lines[0], `usage: ${SYNOPSIS} ${c.name}${rest}`);
        for (const alias of c.aliases) {
          assert.ok(lines.includes(`   or: ${SYNOPSIS} ${alias}${rest}`));
        }
        assert.ok(
          out.replaceAll("\n", " ").includes(c.description),
          `${word}: ${out}`,
        );
      }
    }
  }
  // A signal command by a prefix is that command.
  const k = await inProcess(["k", "--help"]);
  assert.match(
    k.out,
    /^usage: nitroctl \[-t SECONDS\] \[-v\] \[--json\] kill /,
  );
});

Deno.test("help: --help alone lists every command; an unknown one is a usage error", async () => {
  const all = await inProcess(["--help"]);
  assert.equal(all.code, 0);
  for (const c of COMMANDS) {
    const row = all.out.split("\n").find((l) =>
      l.startsWith(`  ${c.name} `) || l.startsWith(`  ${c.name},`)
    );
    assert.ok(row?.endsWith(c.summary), `${c.name}: ${row}`);
  }
  const unknown = await inProcess(["frob", "--help"]);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.err,
    "usage: nitroctl COMMAND [SERVICE ...] (unknown command: frob; see nitroctl --help)",
  );
});

Deno.test("help: nitroctl start --help as a program, without a nitro", async () => {
  const run = await nitroctl("/nonexistent/nitro.sock", ["start", "--help"]);
  assert.deepEqual([run.code, run.stderr], [0, ""]);
  assert.match(run.stdout, /^usage: nitroctl .* start SERVICE\.\.\.\n\n/);
});
