/**
 * Tests of src/ctl/completion/bash.ts: the script made from a small
 * vocabulary (tests/ctl/completion/vocabulary.ts), loaded in bash and run
 * as Tab runs it (tests/ctl/bash_complete.sh), line by line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { bashCompletion } from "../../../src/ctl/completion/bash.ts";
import { REPO_ROOT } from "../../helpers/common.ts";
import { VOCABULARY, withScript } from "./vocabulary.ts";

const DRIVER = join(REPO_ROOT, "tests/ctl/bash_complete.sh");
const haveBash = (() => {
  try {
    return new Deno.Command("bash", { args: ["-c", ":"] }).outputSync()
      .success;
  } catch {
    return false;
  }
})();
if (!haveBash) console.warn("completion/bash_test: skipped (no bash)");

/** What Tab offers after `line`, in bash with the script in `file`. */
async function complete(file: string, bin: string, line: string) {
  const out = await new Deno.Command("bash", {
    args: ["--norc", "--noprofile", DRIVER, file, line],
    env: { PATH: `${bin}:/usr/bin:/bin` },
    clearEnv: true,
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(stderr, "");
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l !== ""
  );
}

Deno.test({
  name:
    "bash completion: commands, options, values, operands and services, as the table says",
  ignore: !haveBash,
  fn: async () => {
    await withScript(bashCompletion(VOCABULARY), async ({ file, bin }) => {
      const cases: [string, string[]][] = [
        ["nitroctl ", ["start", "stop", "list", "events", "completion"]],
        ["nitroctl st", ["start", "stop"]],
        // A letter that already names a command completes to it.
        ["nitroctl l", ["list"]],
        ["nitroctl -", [
          "-t",
          "--timeout",
          "-v",
          "--verbose",
          "--json",
          "-h",
          "--help",
        ]],
        ["nitroctl --t", ["--timeout"]],
        // An option's value is not completed, and is no command word.
        ["nitroctl -t ", []],
        ["nitroctl -t 5 -v s", ["start", "stop"]],
        ["nitroctl completion ", ["bash", "zsh"]],
        ["nitroctl completion z", ["zsh"]],
        ["nitroctl completion bash ", []],
        // Command options, under each word of the command.
        ["nitroctl events -", ["--help", "--replay"]],
        ["nitroctl ev --r", ["--replay"]],
        ["nitroctl start -", ["--help"]],
        // Services from `nitroctl list`, names only.
        ["nitroctl start ", ["web", "cron", "agetty@tty1"]],
        ["nitroctl -t 2 stop web a", ["agetty@tty1"]],
        // Not a command that takes services.
        ["nitroctl events ", []],
      ];
      const got = await Promise.all(
        cases.map(([line]) => complete(file, bin, line)),
      );
      cases.forEach(([line, expected], i) =>
        assert.deepEqual(got[i], expected, line)
      );
    });
  },
});

Deno.test({
  name: "bash completion: a word with a / completes directories, not services",
  ignore: !haveBash,
  fn: async () => {
    await withScript(bashCompletion(VOCABULARY), async ({ file, bin, dir }) => {
      Deno.mkdirSync(join(dir, "svc-a"));
      Deno.mkdirSync(join(dir, "svc-b"));
      Deno.writeTextFileSync(join(dir, "svc-file"), "");
      assert.deepEqual(
        (await complete(file, bin, `nitroctl start ${dir}/svc`)).sort(),
        [`${dir}/svc-a`, `${dir}/svc-b`],
      );
    });
  },
});

Deno.test("bash completion: bound to nitroctl, and parses", async () => {
  const script = bashCompletion(VOCABULARY);
  assert.ok(script.endsWith("\ncomplete -F _nitroctl nitroctl\n"));
  if (!haveBash) return;
  const out = await new Deno.Command("bash", {
    args: ["-n", "-c", script],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});
