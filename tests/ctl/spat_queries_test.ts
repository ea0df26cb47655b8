/**
 * Our nitroctl against a real C nitro, for the verbs that ask and signal
 * (list, info, pidof, check, the signals, rescan, paths), compared with
 * C's own nitroctl in the same run. The verbs that change states are in
 * spat_verbs_test.ts.
 */

import { CASES, changes, compareWithC } from "./spat_cases.ts";

Deno.test("C nitroctl's verbs that ask and signal: ours prints and exits as C's", async () => {
  await compareWithC(CASES.filter((c) => !changes(c.args)));
});
