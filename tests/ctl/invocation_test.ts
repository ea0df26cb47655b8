/**
 * invocation(): the `--as=` override and argv[0]'s basename at their
 * edges. Also tested: tests/ctl/nitroctl_test.ts (the common cases, and
 * halt & co. end to end), tests/ctl/args_test.ts (what each name means).
 *
 * @module
 */

import assert from "node:assert/strict";
import { invocation } from "../../src/ctl/invocation.ts";

Deno.test("argv[0] may be relative, end in a slash, or be read asynchronously", async () => {
  assert.equal((await invocation([], () => "./halt")).name, "halt");
  assert.equal((await invocation([], () => "bin/reboot")).name, "reboot");
  assert.equal((await invocation([], () => "/sbin/init/")).name, "init");
  assert.equal(
    (await invocation([], () => Promise.resolve("/x/poweroff"))).name,
    "poweroff",
  );
});

Deno.test("--as= takes the rest of the word as it is", async () => {
  const argv0 = () => "nitroctl";
  assert.deepEqual(await invocation(["--as="], argv0), { name: "", args: [] });
  assert.deepEqual(await invocation(["--as=a=b", "x"], argv0), {
    name: "a=b",
    args: ["x"],
  });
  // `--as NAME` (two words) is not the override.
  assert.deepEqual(await invocation(["--as", "halt"], argv0), {
    name: "nitroctl",
    args: ["--as", "halt"],
  });
  // Only one --as= is taken off: a second is an argument.
  assert.deepEqual(await invocation(["--as=init", "--as=halt"], argv0), {
    name: "init",
    args: ["--as=halt"],
  });
});

Deno.test("the arguments are a copy: changing them leaves the caller's alone", async () => {
  const args = ["list", "web"];
  const got = await invocation(args, () => "nitroctl");
  got.args.push("db");
  assert.deepEqual(args, ["list", "web"]);
  const as = ["--as=halt", "-f"];
  (await invocation(as)).args.push("x");
  assert.deepEqual(as, ["--as=halt", "-f"]);
});
