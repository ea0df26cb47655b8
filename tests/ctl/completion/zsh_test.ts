/**
 * Tests of src/ctl/completion/zsh.ts: the function made from a small
 * vocabulary (tests/ctl/completion/vocabulary.ts): it parses, its
 * `_arguments` specs and command list are spelled as zsh wants (`:`, `[`,
 * `]` escaped, quotes closed), and its service lister turns `nitroctl list`
 * lines into names. Completion in a real interactive zsh (compinit in a
 * pty) is tested in tests/ctl/completion_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { zshCompletion } from "../../../src/ctl/completion/zsh.ts";
import { VOCABULARY, withScript } from "./vocabulary.ts";

const haveZsh = (() => {
  try {
    return new Deno.Command("zsh", { args: ["-fc", ":"] }).outputSync()
      .success;
  } catch {
    return false;
  }
})();
if (!haveZsh) console.warn("completion/zsh_test: skipped (no zsh)");

const SCRIPT = zshCompletion(VOCABULARY);

async function zsh(script: string, bin = "/nonexistent") {
  const out = await new Deno.Command("zsh", {
    args: ["-f", "-c", script],
    env: { PATH: `${bin}:/usr/bin:/bin` },
    clearEnv: true,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("zsh completion: a #compdef file whose last line calls the function", () => {
  assert.ok(SCRIPT.startsWith("#compdef nitroctl\n"));
  assert.ok(SCRIPT.endsWith('\n_nitroctl "$@"\n'));
});

Deno.test("zsh completion: option specs: exclusions, values with + and =, --help excluding all", () => {
  const specs = SCRIPT.split("\n").map((l) => l.trim());
  for (
    const spec of [
      "'(-t --timeout)'{-t+,--timeout=}'[give up]:seconds' \\",
      "'(-v --verbose)'{-v,--verbose}'[say more]' \\",
      "'(--json)--json[JSON out]' \\",
      "'(- *)'{-h,--help}'[print usage]' \\",
    ]
  ) {
    assert.ok(specs.includes(spec), spec);
  }
});

Deno.test("zsh completion: commands described, : [ ] escaped and quotes closed; shortcuts, operands, command options", () => {
  const lines = SCRIPT.split("\n").map((l) => l.trim());
  for (
    const line of [
      "'start:start, wait for UP'",
      "'stop:stop\\: it \\[now\\]'",
      "'list:list '\\''em'",
      "shortcuts=( l list )",
      "(completion)",
      "(( CURRENT == 2 )) && _values 'shell' bash zsh && ret=0",
      "(events|ev)",
      "flags+=('--replay:replay the history')",
      "(start|stop|list)",
    ]
  ) {
    assert.ok(lines.includes(line), line);
  }
});

Deno.test({
  name:
    "zsh completion: parses; the commands array holds each word and summary",
  ignore: !haveZsh,
  fn: async () => {
    const parsed = await zsh(
      `emulate zsh; ${SCRIPT.replace(/_nitroctl "\$@"\n$/, "")}
      functions _nitroctl >/dev/null || exit 3`,
    );
    assert.deepEqual([parsed.code, parsed.stderr], [0, ""]);
    // The array as zsh reads it: the escapes are _describe's, kept.
    const body = SCRIPT.slice(SCRIPT.indexOf("  commands=("));
    const array = body.slice(0, body.indexOf("\n  )\n") + 4);
    // In a function, as in _nitroctl: the global $commands is zsh's own.
    const r = await zsh(
      `f() {\nlocal -a commands\n${array}\nprint -rl -- $commands\n}\nf`,
    );
    assert.equal(r.stderr, "");
    assert.deepEqual(r.stdout.split("\n").filter((l) => l !== ""), [
      "start:start, wait for UP",
      "stop:stop\\: it \\[now\\]",
      "list:list 'em",
      "events:follow changes",
      "completion:a shell's completion",
    ]);
  },
});

Deno.test({
  name:
    "zsh completion: _nitroctl_services offers the names `nitroctl list` prints",
  ignore: !haveZsh,
  fn: async () => {
    await withScript(SCRIPT, async ({ file, bin }) => {
      // _wanted stands in for zsh's: print the array it would add.
      const r = await zsh(
        `_wanted() { print -rl -- "\${(@P)\${@[-1]}}" }
         source <(sed '$d' ${file})
         _nitroctl_services nitroctl`,
        bin,
      );
      assert.equal(r.stderr, "");
      assert.deepEqual(r.stdout.split("\n").filter((l) => l !== ""), [
        "web",
        "cron",
        "agetty@tty1",
      ]);
    });
  },
});
