/**
 * A service killed by any signal — also ones the old table lacked (SIGXCPU,
 * SIGSYS) and realtime ones Deno cannot even name — is reported with its
 * signal number: `finish` gets `-1 N`, never `0 0` as for a clean exit.
 */

import { strictEqual } from "node:assert/strict";
import { readOr } from "../helpers/daemon.ts";
import { eventually, Nitro } from "../helpers/nitro.ts";

/** Dies of signal `signo` once, then stays up; finish records its args. */
function dies(signo: number) {
  return {
    run: "#!/bin/sh\nif [ -e died ]; then exec sleep 1000; fi\n" +
      `: > died\nkill -${signo} $$\nexit 0\n`,
    finish: '#!/bin/sh\necho "$1 $2" >> finished\n',
  };
}

Deno.test("signal deaths: finish gets -1 and the signal number, for any signal", async () => {
  const signals = { hup: 1, xcpu: 24, sys: 31, rtmin: 34, rt6: 40, rtmax: 64 };
  const services = Object.fromEntries(
    Object.entries(signals).map(([name, signo]) => [name, dies(signo)]),
  );
  const n = await Nitro.create(services);
  try {
    await n.start();
    const finished = (name: string) => readOr(`${n.dir}/${name}/finished`);
    await eventually(
      () => Object.keys(signals).every((name) => finished(name) !== ""),
      20_000,
      "every finish",
    );
    for (const [name, signo] of Object.entries(signals)) {
      strictEqual(finished(name), `-1 ${signo}\n`, name);
    }
  } finally {
    await n.stop();
  }
});
