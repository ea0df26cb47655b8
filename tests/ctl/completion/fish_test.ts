/**
 * Tests of src/ctl/completion/fish.ts: the script made from a small
 * vocabulary (tests/ctl/completion/vocabulary.ts), sourced in fish and
 * asked what Tab offers (`complete -C`), line by line with descriptions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fishCompletion } from "../../../src/ctl/completion/fish.ts";
import { VOCABULARY, withScript } from "./vocabulary.ts";

const haveFish = (() => {
  try {
    return new Deno.Command("fish", { args: ["--version"] }).outputSync()
      .success;
  } catch {
    return false;
  }
})();
if (!haveFish) console.warn("completion/fish_test: skipped (no fish)");

/** What fish offers for each of `lines`, with the script in `file`. */
async function complete(
  file: string,
  bin: string,
  lines: string[],
): Promise<string[][]> {
  const quote = (s: string) =>
    `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  const script = [
    `source ${quote(file)}`,
    ...lines.map((l) => `complete -C ${quote(l)}; echo '@@'`),
  ].join("\n");
  const out = await new Deno.Command("fish", {
    args: ["--no-config", "-c", script],
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: bin },
    clearEnv: true,
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(stderr, "");
  return new TextDecoder().decode(out.stdout).split("@@\n").slice(0, -1)
    .map((block) => block.split("\n").filter((l) => l !== ""));
}

Deno.test({
  name:
    "fish completion: commands with summaries, options, operands and services, as the table says",
  ignore: !haveFish,
  fn: async () => {
    await withScript(fishCompletion(VOCABULARY), async ({ file, bin }) => {
      const cases: [string, string[]][] = [
        ["nitroctl st", ["start\tstart, wait for UP", "stop\tstop: it [now]"]],
        ["nitroctl l", ["list\tlist 'em"]],
        ["nitroctl --", [
          "--help\tprint usage",
          "--json\tJSON out",
          "--timeout\tgive up",
          "--verbose\tsay more",
        ]],
        // After the command word: no global options but --help, no commands.
        ["nitroctl start --", ["--help\tprint usage"]],
        ["nitroctl -t 5 st", [
          "start\tstart, wait for UP",
          "stop\tstop: it [now]",
        ]],
        ["nitroctl completion ", ["bash", "zsh"]],
        ["nitroctl events --", [
          "--help\tprint usage",
          "--replay\treplay the history",
        ]],
        ["nitroctl ev --r", ["--replay\treplay the history"]],
        ["nitroctl stop ", [
          "agetty@tty1\tservice",
          "cron\tservice",
          "web\tservice",
        ]],
        ["nitroctl -v list w", ["web\tservice"]],
        ["nitroctl events ", []],
      ];
      const got = await complete(file, bin, cases.map(([line]) => line));
      cases.forEach(([line, expected], i) =>
        assert.deepEqual(got[i], expected, line)
      );
    });
  },
});

Deno.test({
  name: "fish completion: a word with a / completes directories",
  ignore: !haveFish,
  fn: async () => {
    await withScript(fishCompletion(VOCABULARY), async ({ file, bin, dir }) => {
      Deno.mkdirSync(join(dir, "svc-a"));
      Deno.writeTextFileSync(join(dir, "svc-file"), "");
      const [got] = await complete(file, bin, [`nitroctl start ${dir}/svc`]);
      assert.deepEqual(got.map((l) => l.split("\t")[0]), [`${dir}/svc-a/`]);
    });
  },
});

Deno.test("fish completion: no file names by default; quotes escaped fish's way", () => {
  const script = fishCompletion(VOCABULARY);
  assert.ok(script.includes("\ncomplete -c nitroctl -f\n"));
  assert.ok(script.includes(" -a 'list' -d 'list \\'em'\n"));
  assert.ok(
    script.includes(
      "complete -c nitroctl -n '__nitroctl_needs_command' -s t -l timeout -x -d 'give up'\n",
    ),
  );
  // The valued options are skipped with their value to find the command.
  assert.ok(script.includes("            case -t --timeout\n"));
});
