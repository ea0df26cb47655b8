/**
 * errnoWords and failureWords: every number in the tables means what this
 * OS says it means, and what is not an errno error falls back to its
 * message. Also tested: tests/init/console_lines_test.ts (the words in
 * pid 1's console lines).
 *
 * @module
 */

import assert from "node:assert/strict";
import { constants } from "node:os";
import { errnoWords, failureWords } from "../../src/init/errno_words.ts";

/** strerror(3)'s words by errno name, for every name the tables know. */
const WORDS: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  EROFS: "Read-only file system",
  EAGAIN: "Resource temporarily unavailable",
  ENAMETOOLONG: "File name too long",
  ELOOP: "Too many levels of symbolic links",
};

Deno.test("each errno's words are under this OS's number for it", () => {
  const numbers = constants.errno as Record<string, number>;
  for (const [name, words] of Object.entries(WORDS)) {
    const errno = numbers[name];
    assert.equal(typeof errno, "number", name);
    assert.equal(
      errnoWords(errno, Deno.build.os),
      `errno=${errno} (${words})`,
      name,
    );
  }
});

Deno.test("numbers Linux and FreeBSD share have words on both", () => {
  assert.equal(errnoWords(2, "freebsd"), "errno=2 (No such file or directory)");
  assert.equal(errnoWords(30, "freebsd"), "errno=30 (Read-only file system)");
  // FreeBSD's 36 is EINPROGRESS, its 40 EMSGSIZE: not Linux's words.
  assert.equal(errnoWords(36, "freebsd"), "errno=36");
  assert.equal(errnoWords(40, "freebsd"), "errno=40");
  assert.equal(errnoWords(36, "linux"), "errno=36 (File name too long)");
});

Deno.test("a number with no words is said as a number", () => {
  assert.equal(errnoWords(0, "linux"), "errno=0");
  assert.equal(errnoWords(6, "linux"), "errno=6");
  assert.equal(errnoWords(-1, "linux"), "errno=-1");
});

Deno.test("failureWords uses errno only when it is a number", () => {
  const withErrno = Object.assign(new Error("mount: EBUSY"), { errno: 16 });
  assert.equal(
    failureWords(withErrno, "linux"),
    "errno=16 (Device or resource busy)",
  );
  // errno 0 is still an errno.
  assert.equal(
    failureWords(Object.assign(new Error("x"), { errno: 0 }), "linux"),
    "errno=0",
  );
  // A string errno (node's `code`-like fields) is not one.
  const stringErrno = Object.assign(new Error("said"), { errno: "16" });
  assert.equal(failureWords(stringErrno, "linux"), "said");
  // Whatever else was thrown: its text.
  assert.equal(failureWords("plain", "linux"), "plain");
  assert.equal(failureWords(null, "linux"), "null");
  assert.equal(failureWords(undefined, "linux"), "undefined");
  // A plain object with errno counts as well: libc's errors are told apart
  // by the field, not the class.
  assert.equal(
    failureWords({ errno: 13 }, "linux"),
    "errno=13 (Permission denied)",
  );
});
