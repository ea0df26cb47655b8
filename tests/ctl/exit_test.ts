/**
 * nitroctl's exit statuses and the one line it prints for a failure.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NitroError } from "../../src/client.ts";
import { UsageError } from "../../src/ctl/args.ts";
import { EXIT, failure } from "../../src/ctl/exit.ts";

Deno.test("EXIT: the statuses nitroctl documents", () => {
  assert.deepEqual(EXIT, {
    ok: 0,
    failed: 1,
    usage: 2,
    timeout: 3,
    unavailable: 111,
  });
});

Deno.test("failure: a usage error exits 2 with its reason", () => {
  assert.deepEqual(failure(new UsageError("unknown command: frob")), {
    status: 2,
    message: "nitroctl: unknown command: frob",
    error: { code: "usage", message: "unknown command: frob" },
  });
});

Deno.test("failure: nitro's error exits 111, naming the service once", () => {
  const named = new NitroError("no-such-service", "no such service", {
    service: "web",
  });
  assert.deepEqual(failure(named), {
    status: 111,
    message: "nitroctl: web: no such service",
    error: {
      code: "no-such-service",
      message: "no such service",
      service: "web",
    },
  });
  // A message that already names the service does not name it twice.
  const said = new NitroError("bad-name", "bad name: web!", {
    service: "web!",
  });
  assert.equal(failure(said).message, "nitroctl: bad name: web!");
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
