/**
 * nitroctl's exit statuses and the one line it prints for a failure.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NitroError } from "../../src/client.ts";
import { UsageError } from "../../src/ctl/args.ts";
import { EXIT, failure, TimeoutError } from "../../src/ctl/exit.ts";

Deno.test("EXIT: the statuses nitroctl documents", () => {
  assert.deepEqual(EXIT, {
    ok: 0,
    failed: 1,
    usage: 2,
    timeout: 3,
    unavailable: 111,
    interrupted: 130,
  });
});

Deno.test("failure: a usage error exits 2, one line: C's words, why, --help", () => {
  const line =
    "usage: nitroctl COMMAND [SERVICE ...] (unknown command: frob; see nitroctl --help)";
  assert.deepEqual(failure(new UsageError("unknown command: frob")), {
    status: 2,
    message: line,
    error: { code: "usage", message: "unknown command: frob" },
  });
  assert.equal(
    failure(new UsageError(undefined, "usage: init [0|6|q]")).message,
    "usage: init [0|6|q] (see nitroctl --help)",
  );
});

Deno.test("failure: a timeout is C's `action timed out`, what is pending after", () => {
  const late = new TimeoutError(1000);
  assert.equal(failure(late).message, "nitroctl: action timed out");
  assert.equal(failure(late).status, 3);
  late.pending = "crashy is DELAY after exit 1 (3 restarts)";
  assert.equal(
    failure(late).message,
    "nitroctl: action timed out: crashy is DELAY after exit 1 (3 restarts)",
  );
});

Deno.test("failure: nitro's error exits 111; an unserved service in C's words", () => {
  const named = new NitroError("no-such-service", "no such service", {
    service: "web",
  });
  assert.deepEqual(failure(named), {
    status: 111,
    message: "nitroctl: no such service 'web'",
    error: {
      code: "no-such-service",
      message: "no such service",
      service: "web",
    },
  });
  // C nitro serves no bad name either: C's words, then why.
  const said = new NitroError("bad-name", "name longer than 63 bytes", {
    service: "web!",
  });
  assert.equal(
    failure(said).message,
    "nitroctl: no such service 'web!': name longer than 63 bytes",
  );
  // A path is named by its last component, the name C nitroctl sends.
  const path = new NitroError("no-such-service", "no such service", {
    service: "/etc/nitro/web",
  });
  assert.deepEqual(
    [failure(path).message, failure(path).error.service],
    ["nitroctl: no such service 'web'", "/etc/nitro/web"],
  );
  const root = new NitroError("no-such-service", "no such service", {
    service: "/",
  });
  assert.equal(failure(root).message, "nitroctl: no such service ''");
  // Any other error names the service, once.
  const other = new NitroError("internal", "web broke", { service: "web" });
  assert.equal(failure(other).message, "nitroctl: web broke");
  const anon = new NitroError("busy", "too many clients");
  assert.equal(failure(anon).message, "nitroctl: too many clients");
});

Deno.test("failure: anything else exits 111 with its message", () => {
  assert.deepEqual(failure(new Deno.errors.ConnectionRefused("refused")), {
    status: 111,
    message: "nitroctl: refused",
    error: { code: "internal", message: "refused" },
  });
  assert.deepEqual(failure("odd"), {
    status: 111,
    message: "nitroctl: odd",
    error: { code: "internal", message: "odd" },
  });
});
