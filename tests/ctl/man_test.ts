/**
 * Man pages: made from docs/*.md (the one source) by ci/manpage.ts, they
 * render with groff and man without a warning, and after `deno task
 * install --root DIR` `man` finds them through MANPATH or through DIR/bin
 * on PATH.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { MAN_PAGES, manPath, markdownToRoff } from "../../ci/manpage.ts";
import { sharedFiles } from "../../ci/build.ts";
import { REPO_ROOT } from "../helpers/common.ts";

const decoder = new TextDecoder();

/** Whether a program is on PATH. */
function have(program: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(join(dir, program)).isFile;
    } catch {
      return false;
    }
  });
}

/** Run a program: status, stdout, stderr. */
async function run(
  program: string,
  args: string[],
  env: Record<string, string> = {},
  clearEnv = false,
) {
  const out = await new Deno.Command(program, {
    args,
    env,
    clearEnv,
    stdin: "null",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("manpage: markdown to roff for the subset the pages use", () => {
  const roff = markdownToRoff(
    [
      "# tool(1)",
      "",
      "## NAME",
      "",
      "**tool** — does [things](x.md)",
      "",
      "## DESCRIPTION",
      "",
      "Some `--flag` and **bold** and _DIR_ with a \\ backslash",
      "",
      ".dot at a line start, and ≥ unicode.",
      "",
      "- **`-t SECONDS`**: Give up.",
      "",
      "  More about it:",
      "",
      "      code in an item",
      "",
      "- plain item",
      "  - nested item",
      "",
      "1. first",
      "",
      "```sh",
      ".not a request",
      "```",
      "",
      "| a | b |",
      "| - | - |",
      "| `x` | y |",
      "",
      "See [tool(8)](tool.8.md).",
    ].join("\n"),
    "9.9",
  );
  const lines = roff.split("\n");
  assert.equal(lines[0], `'\\" t`); // tbl, for man
  assert.equal(lines[1], '.TH TOOL 1 "" "nitro 9.9" "User Commands"');
  assert.ok(lines.includes("tool \\- does things"), roff);
  assert.ok(
    roff.includes(
      "Some \\fB\\-\\-flag\\fR and \\fBbold\\fR and \\fIDIR\\fR with a \\e backslash\n.PP\n\\&.dot",
    ),
    roff,
  );
  assert.ok(roff.includes("\\[u2265] unicode."), roff);
  assert.ok(roff.includes(".TP\n\\fB\\-t SECONDS\\fR\nGive up."), roff);
  assert.ok(roff.includes(".IP\nMore about it:"), roff);
  assert.ok(roff.includes(".nf\n    code in an item\n.fi"), roff);
  assert.ok(roff.includes(".IP \\(bu 2\nplain item\n.RS\n.IP \\(bu 2"), roff);
  assert.ok(roff.includes(".IP 1. 4\nfirst"), roff);
  assert.ok(roff.includes(".nf\n\\&.not a request\n.fi"), roff);
  assert.ok(roff.includes(".TS\nallbox;\nlB lBx\nl lx."), roff);
  assert.ok(roff.includes("See \\fBtool\\fR(8)."), roff);
  assert.ok(!/[^\t\n -~]/.test(roff), "ASCII only");
});

Deno.test("manpage: the pages render with groff and man -l without a warning", async (t) => {
  const { version } = JSON.parse(
    await Deno.readTextFile(join(REPO_ROOT, "deno.json")),
  );
  const dir = await Deno.makeTempDir({ prefix: "nitro-man-" });
  try {
    for (const page of MAN_PAGES) {
      const markdown = await Deno.readTextFile(join(REPO_ROOT, page.source));
      const file = join(dir, `${page.name}.${page.section}`);
      await Deno.writeTextFile(file, markdownToRoff(markdown, version));
      await t.step(`${page.name}(${page.section}) with groff -ww`, async () => {
        if (!have("groff")) {
          console.log(
            "skipped: groff is not installed (apt-get install groff)",
          );
          return;
        }
        const out = await run("groff", ["-t", "-man", "-ww", "-z", file]);
        assert.deepEqual([out.code, out.stderr], [0, ""]);
      });
      await t.step(`${page.name}(${page.section}) with man -l`, async () => {
        if (!have("man")) {
          console.log("skipped: man is not installed (apt-get install man-db)");
          return;
        }
        const out = await run("man", ["--warnings", "-l", file], {
          MANWIDTH: "80",
          PAGER: "cat",
        });
        assert.deepEqual([out.code, out.stderr], [0, ""]);
        // Not a terminal: man writes plain text, no overstrikes.
        const text = out.stdout;
        // One source: every heading of the markdown is in the page.
        for (const [, heading] of markdown.matchAll(/^#{2,3} (.+)$/gm)) {
          assert.ok(text.includes(heading.replaceAll("*", "")), heading);
        }
        assert.match(text, new RegExp(`^${page.name.toUpperCase()}\\(`));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("manpage: man finds the installed pages through MANPATH or PATH", async () => {
  if (!have("man")) {
    console.log("skipped: man is not installed (apt-get install man-db)");
    return;
  }
  const root = await Deno.makeTempDir({ prefix: "nitro-maninst-" });
  try {
    const install = await run(Deno.execPath(), [
      "run",
      "--allow-all",
      join(REPO_ROOT, "ci/build.ts"),
      "install",
      "--root",
      root,
    ]);
    assert.equal(install.code, 0, install.stderr);
    const shared = await sharedFiles();
    for (const page of MAN_PAGES) {
      const path = join(root, manPath(page));
      // What is installed is made from the markdown as it is now.
      assert.equal(await Deno.readTextFile(path), shared.get(manPath(page)));
      const viaManpath = await run("man", ["-w", page.name], {
        MANPATH: `${root}/share/man`,
        PATH: "/usr/bin:/bin",
        HOME: root,
      }, true);
      assert.deepEqual([viaManpath.code, viaManpath.stdout.trim()], [0, path]);
      const viaPath = await run("man", ["-w", page.name], {
        PATH: `${root}/bin:/usr/bin:/bin`,
        HOME: root,
      }, true);
      assert.deepEqual([viaPath.code, viaPath.stdout.trim()], [0, path]);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
