/**
 * nitroctl against a socket that may not be nitro's: everything it prints
 * that came from the socket is escaped (a fake server sends ESC sequences,
 * C1 controls and bidi overrides in names, reasons and paths); a socket of
 * another non-root user is warned about, and a root nitroctl refuses it
 * without `--force`; an argument that was not UTF-8 is `bad-name`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PERMISSIONS } from "../../ci/permissions.ts";
import { escapeText } from "../../src/ctl/escape.ts";
import { ownerVerdict } from "../../src/ctl/socket_owner.ts";
import {
  basicHandler,
  detail,
  FakeDaemon,
  status,
} from "../helpers/fake_daemon.ts";
import { REPO_ROOT, runCommand } from "../helpers/common.ts";
import { testUser } from "../helpers/test_user.ts";

const CLI = `${REPO_ROOT}cli/nitroctl.ts`;

/** Run nitroctl on `sock` with raw byte arguments; killed after 30 s. */
function nitroctl(sock: string, args: (string | Uint8Array)[]) {
  // Deno.Command takes strings only: bytes that are not UTF-8 go through a
  // shell's $'\xff' instead.
  const quoted = args.map((a) =>
    typeof a === "string"
      ? `'${a.replaceAll("'", `'\\''`)}'`
      : `$'${
        [...a].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")
      }'`
  );
  return runCommand("bash", {
    args: [
      "-c",
      `exec "$0" run ${PERMISSIONS.nitroctl.join(" ")} ${CLI} ${
        quoted.join(" ")
      }`,
      Deno.execPath(),
    ],
    env: { NITRO_SOCK: sock, NITRO_SERVICE: "" },
    killAfterMs: 30_000,
  });
}

/** What a terminal would act on: C0 but tab and newline, DEL, C1, bidi. */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const EVIL = "x\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil";

Deno.test("escapeText shows control, C1 and bidi characters, keeps the rest", () => {
  assert.equal(escapeText("web\tok"), "web\tok");
  assert.equal(escapeText("a\x1b[2J"), "a\\x1b[2J");
  assert.equal(escapeText("a\x9bb"), "a\\x9bb");
  assert.equal(escapeText("a\u202eb\u2066"), "a\\u202eb\\u2066");
  assert.equal(escapeText("a\nb"), "a\\x0ab");
  assert.equal(escapeText("\ud800x"), "\\ud800x");
  assert.equal(escapeText("caf\u00e9 \u{1f600}"), "caf\u00e9 \u{1f600}");
});

Deno.test("nitroctl escapes names, reasons and paths from the socket", async () => {
  const evil = status(EVIL, "FATAL", null, 256, 3);
  await using fake = await FakeDaemon.start(
    basicHandler([evil], [
      detail(evil, {
        reason: `run: ${EVIL}`,
        logger: EVIL,
        lastExit: EVIL,
      }),
    ]),
  );
  for (const args of [["list"], ["status"], ["status", EVIL]]) {
    const out = await nitroctl(fake.path, args);
    assert.doesNotMatch(out.stdout, UNSAFE, `${args}: ${out.stdout}`);
    assert.doesNotMatch(out.stderr, UNSAFE, `${args}: ${out.stderr}`);
    assert.match(out.stdout + out.stderr, /x\\x1b\]0;owned\\x07/, `${args}`);
  }
  const json = await nitroctl(fake.path, ["--json", "list"]);
  assert.doesNotMatch(json.stdout, UNSAFE);
  assert.match(json.stdout, /\\u202eevil/);
});

Deno.test("nitroctl escapes an error's message and service from the socket", async () => {
  await using fake = await FakeDaemon.start((_request, reply) =>
    reply.fail("no-such-service", `gone ${EVIL}`, EVIL)
  );
  const out = await nitroctl(fake.path, ["pidof", "web"]);
  assert.equal(out.code, 111);
  assert.doesNotMatch(out.stderr, UNSAFE, out.stderr);
  assert.match(out.stderr, /gone x\\x1b/);
});

Deno.test("a name argument that was not UTF-8 is bad-name, nothing sent", async () => {
  await using fake = await FakeDaemon.start(basicHandler([]));
  const bytes = new Uint8Array([0x54, 0x40, 0xff]); // T@\xff
  const out = await nitroctl(fake.path, ["up", bytes]);
  assert.equal(out.code, 111, out.stderr);
  assert.match(out.stderr, /not valid UTF-8/);
  assert.equal(fake.requests.length, 0);
  // A real U+FFFD typed as such is the same to nitroctl: it cannot tell.
  const typed = await nitroctl(fake.path, ["up", "T@\uFFFD"]);
  assert.equal(typed.code, 111);
});

Deno.test("ownerVerdict: root's and one's own sockets are fine, another user's is not", () => {
  assert.equal(ownerVerdict("/s", 0, 0, false).kind, "ok");
  assert.equal(ownerVerdict("/s", 1000, 1000, false).kind, "ok");
  assert.equal(ownerVerdict("/s", 0, 1000, false).kind, "ok");
  assert.equal(ownerVerdict("/s", 1001, 1000, false).kind, "warn");
  assert.equal(ownerVerdict("/s", 1001, 0, false).kind, "refuse");
  assert.equal(ownerVerdict("/s", 1001, 0, true).kind, "warn");
});

const user = await testUser();

Deno.test({
  name: "a root nitroctl refuses a socket of another user without --force",
  ignore: typeof user === "string",
  fn: async () => {
    await using fake = await FakeDaemon.start(
      basicHandler([status("web", "UP", 10)]),
    );
    Deno.chownSync(fake.path, user as number, null);
    const refused = await nitroctl(fake.path, ["list"]);
    assert.equal(refused.code, 111, refused.stderr + refused.stdout);
    assert.match(refused.stderr, new RegExp(`belongs to uid ${user}`));
    assert.match(refused.stderr, /--force/);
    assert.equal(fake.requests.length, 0);
    const forced = await nitroctl(fake.path, ["--force", "list"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /UP web/);
    assert.match(forced.stderr, /warning: socket .* belongs to uid/);
  },
});
if (typeof user === "string") {
  console.warn(`ctl_hygiene_test: owner test skipped (${user})`);
}
