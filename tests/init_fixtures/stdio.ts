/**
 * Fixture: write what `stdioStatus()` / `fdKind()` say about fds 0–2, and
 * whether each is `/dev/null`, as JSON into the file `Deno.args[0]` (stdout
 * itself may be unusable here).
 *
 * @module
 */

import { fstatSync, statSync } from "node:fs";
import { fdKind, stdioStatus } from "../../src/init/stdio.ts";

const devNull = statSync("/dev/null").rdev;
const isDevNull = (fd: number) => {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev === devNull;
  } catch {
    return false;
  }
};
Deno.writeTextFileSync(
  Deno.args[0],
  JSON.stringify({
    pid: Deno.pid,
    status: stdioStatus(),
    kinds: [0, 1, 2].map(fdKind),
    devNull: [0, 1, 2].map(isDevNull),
  }),
);
