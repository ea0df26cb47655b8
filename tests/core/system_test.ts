/**
 * The pure system lifecycle (src/core/system.ts): the normal paths, and a
 * table over every phase × input saying what each does.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  admits,
  bootOrder,
  newSystem,
  type Phase,
  PHASES,
  type Role,
  type ServiceAtEnd,
  startsNewServices,
  stepSystem,
  type System,
  type SystemEffect,
  type SystemInput,
} from "../../src/core/system.ts";

function feed(system: System, ...inputs: SystemInput[]) {
  const effects: SystemEffect[] = [];
  for (const input of inputs) {
    const r = stepSystem(system, input);
    system = r.system;
    effects.push(...r.effects);
  }
  return { system, effects };
}

const kinds = (effects: SystemEffect[]) =>
  effects.map((e) =>
    e.type === "event"
      ? `event ${e.state}`
      : e.type === "announce"
      ? `announce ${e.state}`
      : e.type === "run"
      ? `run ${e.script} ${e.args.join(" ")}`.trim()
      : e.type === "say"
      ? `say ${e.text}`
      : e.type === "write"
      ? `write ${e.text}`
      : e.type === "stop"
      ? `stop ${e.name} ${e.input}`
      : e.type === "power"
      ? `power ${e.mode}`
      : e.type === "exit"
      ? `exit ${e.code}`
      : e.type
  );

/** A service at the end, running (or stopped) and logging into `logger`. */
const svc = (
  name: string,
  opts: {
    stopped?: boolean;
    logger?: string;
    stopping?: boolean;
    instant?: boolean;
  } = {},
): ServiceAtEnd => ({
  name,
  stopped: opts.stopped ?? false,
  logger: opts.logger ?? null,
  stopping: opts.stopping ?? false,
  instant: opts.instant ?? false,
});

const allDown: SystemInput = {
  type: "services",
  services: [],
  loggers: new Set(),
};

Deno.test("boot with SYS/setup: SETUP SYS, then DOWN SYS and the services", () => {
  const { system, effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: true },
    { type: "setup-ended", wstatus: 0 },
  );
  assert.equal(system.phase, "running");
  assert.deepEqual(kinds(effects), [
    "say booting",
    "scan",
    "event SETUP",
    "announce SETUP",
    "run setup",
    "say SYS/setup finished with status 0",
    "announce ONESHOT",
    "announce DOWN",
    "event DOWN",
    "start-services",
  ]);
});

Deno.test("SYS/setup is announced as C nitro announces it: 111 FATAL, other failures only DOWN", () => {
  const announced = (wstatus: number) =>
    kinds(
      feed(
        newSystem("process"),
        { type: "boot", hasSetup: true },
        { type: "setup-ended", wstatus },
      ).effects,
    ).filter((k) => k.startsWith("announce"));
  assert.deepEqual(announced(111 << 8), [
    "announce SETUP",
    "announce FATAL",
    "announce DOWN",
  ]);
  assert.deepEqual(announced(1 << 8), ["announce SETUP", "announce DOWN"]);
});

Deno.test("a full shutdown: finish, services, kill-all, final, ended", () => {
  const { system, effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "shutdown", hasFinish: true },
    { type: "finish-ended" },
    allDown,
    { type: "killed", hasReincarnate: false },
    { type: "final-ended" },
  );
  assert.equal(system.phase, "ended");
  assert.deepEqual(kinds(effects), [
    "say booting",
    "scan",
    "start-services",
    "say shutting down",
    "event SHUTDOWN",
    "announce ONESHOT",
    "run finish 0 0 shutdown",
    "say SYS/finish finished",
    "announce DOWN",
    "event DOWN",
    "stop-services",
    "write  done.\n",
    "kill-all",
    "run final shutdown",
    "say finished",
    "ended",
    "close-control",
    "exit 0",
  ]);
});

Deno.test("an end during SYS/setup stops it; its exit then changes nothing", () => {
  const { system, effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: true },
    { type: "end", mode: "reboot", hasFinish: false },
    { type: "setup-ended", wstatus: 15 },
  );
  assert.equal(system.phase, "services");
  assert.equal(system.mode, "reboot");
  assert.ok(kinds(effects).includes("stop-setup"));
  assert.ok(!kinds(effects).includes("start-services"));
});

Deno.test("SYS/setup's status is printed raw, as C nitro prints it", () => {
  const { effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: true },
    { type: "setup-ended", wstatus: 9 },
  );
  assert.ok(kinds(effects).includes("say SYS/setup finished with status 9"));
});

/**
 * The effects from the end of the last sweep on, for a role, an end and
 * whether SYS/reincarnate exists (its exec failing: the effects go on).
 */
function afterSweep(role: Role, mode: "shutdown" | "reboot", has: boolean) {
  const { system } = feed(
    newSystem(role),
    { type: "boot", hasSetup: false },
    { type: "end", mode, hasFinish: false },
    allDown,
  );
  const swept = stepSystem(system, { type: "killed", hasReincarnate: has });
  const r = stepSystem(swept.system, { type: "final-ended" });
  return [...kinds(swept.effects), ...kinds(r.effects)];
}

Deno.test("after the sweep: reincarnate before SYS/final (as C), then boot again, power off or exit", () => {
  const final = (
    mode: string,
  ) => [`run final ${mode}`, "say finished", "ended"];
  // A reboot where there is no machine: boot again from scratch.
  assert.deepEqual(afterSweep("process", "reboot", false), [
    ...final("reboot"),
    "boot",
  ]);
  assert.deepEqual(afterSweep("container", "reboot", true), [
    "reincarnate",
    ...final("reboot"),
    "boot",
  ]);
  assert.deepEqual(afterSweep("process", "reboot", true), [
    "say SYS/reincarnate needs nitro to be pid 1; ignored",
    ...final("reboot"),
    "boot",
  ]);
  // A shutdown: stop serving, hand over if asked, SYS/final, and exit.
  assert.deepEqual(afterSweep("container", "shutdown", true), [
    "close-control",
    "reincarnate",
    ...final("shutdown"),
    "exit 0",
  ]);
  assert.deepEqual(afterSweep("container", "shutdown", false), [
    ...final("shutdown"),
    "close-control",
    "exit 0",
  ]);
  // A machine reboots or powers off itself; it exits only if that failed.
  // Its last word is the power-off's, not "finished".
  for (const mode of ["shutdown", "reboot"] as const) {
    assert.deepEqual(afterSweep("machine", mode, false), [
      `run final ${mode}`,
      "ended",
      "close-control",
      `power ${mode}`,
      "exit 0",
    ]);
  }
  assert.deepEqual(afterSweep("machine", "reboot", true), [
    "close-control",
    "reincarnate",
    "run final reboot",
    "ended",
    "power reboot",
    "exit 0",
  ]);
});

Deno.test("after a reboot outside a machine, a boot starts again", () => {
  const ended = feed(
    newSystem("container"),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "reboot", hasFinish: false },
    allDown,
    { type: "killed", hasReincarnate: false },
    { type: "final-ended" },
  ).system;
  const again = feed(ended, { type: "boot", hasSetup: false });
  assert.equal(again.system.phase, "running");
});

Deno.test("fatal: say why, SYS/fatal, exit 111; a machine reboots instead", () => {
  const withScript = feed(
    newSystem("process"),
    { type: "fatal", problem: "/etc/nitro: no such directory", hasFatal: true },
    { type: "fatal-ended" },
  );
  assert.deepEqual(kinds(withScript.effects), [
    "say /etc/nitro: no such directory",
    "run fatal",
    "exit 111",
  ]);
  const machine = feed(newSystem("machine"), {
    type: "fatal",
    problem: "x",
    hasFatal: false,
  });
  assert.deepEqual(kinds(machine.effects), [
    "say x",
    "power reboot",
    "exit 111",
  ]);
});

Deno.test("the end stops services before the loggers they write into", () => {
  const { system } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "shutdown", hasFinish: false },
  );
  const loggers = new Set(["LOG", "LOG@web"]);
  const first = stepSystem(system, {
    type: "services",
    services: [
      svc("LOG"),
      svc("LOG@web", { logger: "LOG" }),
      svc("web", { logger: "LOG@web" }),
      svc("gone", { stopped: true }),
    ],
    loggers,
  });
  assert.deepEqual(kinds(first.effects), [
    "write - nitro: waiting for 1 services to finish",
    "write .",
    "stop web down",
  ]);
  // web is stopping: told once only; its logger waits.
  const again = stepSystem(first.system, {
    type: "services",
    services: [
      svc("LOG"),
      svc("LOG@web", { logger: "LOG" }),
      svc("web", { logger: "LOG@web", stopping: true }),
    ],
    loggers,
  });
  assert.deepEqual(kinds(again.effects), []);
  // web is down: its logger drains (reads its pipe to the end).
  const next = stepSystem(again.system, {
    type: "services",
    services: [svc("LOG"), svc("LOG@web", { logger: "LOG" })],
    loggers,
  });
  assert.deepEqual(kinds(next.effects), ["write .", "stop LOG@web drain"]);
  const last = stepSystem(next.system, {
    type: "services",
    services: [svc("LOG")],
    loggers,
  });
  assert.deepEqual(kinds(last.effects), ["write .", "stop LOG drain"]);
  const done = stepSystem(last.system, allDown);
  assert.deepEqual(kinds(done.effects), ["write  done.\n", "kill-all"]);
  assert.equal(done.system.phase, "killing");
});

Deno.test("an end with nothing running says no waiting, only ' done.' (as C nitro)", () => {
  const { effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "shutdown", hasFinish: false },
    allDown,
  );
  assert.deepEqual(
    kinds(effects).filter((k) => k.startsWith("write")),
    ["write  done.\n"],
  );
  assert.ok(kinds(effects).includes("kill-all"));
});

Deno.test("an end where every service stops at once prints no dot, only ' done.' (as C nitro)", () => {
  const { system, effects } = feed(
    newSystem("process"),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "shutdown", hasFinish: false },
    {
      type: "services",
      services: [svc("delayed", { instant: true })],
      loggers: new Set(),
    },
  );
  assert.deepEqual(kinds(effects).filter((k) => k.startsWith("write")), []);
  assert.ok(kinds(effects).includes("stop delayed down"));
  const done = stepSystem(system, allDown);
  assert.deepEqual(kinds(done.effects), ["write  done.\n", "kill-all"]);
});

/** A system in `phase` (mode shutdown). */
const inPhase = (phase: Phase): System => ({
  ...newSystem("process"),
  phase,
});

const INPUTS: SystemInput[] = [
  { type: "boot", hasSetup: true },
  { type: "setup-ended", wstatus: 0 },
  { type: "end", mode: "reboot", hasFinish: true },
  { type: "finish-ended" },
  allDown,
  { type: "killed", hasReincarnate: false },
  { type: "final-ended" },
  { type: "fatal", problem: "x", hasFatal: true },
  { type: "fatal-ended" },
];

/** phase → input → the phase it leads to ("-" : ignored, no effect). */
const TABLE: Record<Phase, string[]> = {
  //      boot  setup-end  end  finish-end  services  killed  final-end  fatal  fatal-end
  idle: ["setup", "-", "finish", "-", "-", "-", "-", "fatal", "-"],
  setup: ["-", "running", "finish", "-", "-", "-", "-", "-", "-"],
  running: ["-", "-", "finish", "-", "-", "-", "-", "-", "-"],
  finish: ["-", "-", "-", "services", "-", "-", "-", "-", "-"],
  services: ["-", "-", "-", "-", "killing", "-", "-", "-", "-"],
  killing: ["-", "-", "-", "-", "-", "final", "-", "-", "-"],
  final: ["-", "-", "-", "-", "-", "-", "ended", "-", "-"],
  ended: ["setup", "-", "-", "-", "-", "-", "-", "-", "-"],
  fatal: ["-", "-", "-", "-", "-", "-", "-", "-", "fatal"],
};

Deno.test("every phase × input: the next phase, or ignored with no effect", () => {
  for (const phase of PHASES) {
    INPUTS.forEach((input, i) => {
      const { system, effects } = stepSystem(inPhase(phase), input);
      const expected = TABLE[phase][i];
      const what = `${phase} × ${input.type}`;
      if (expected === "-") {
        assert.equal(system.phase, phase, what);
        assert.deepEqual(effects, [], what);
      } else {
        assert.equal(system.phase, expected, what);
        assert.ok(effects.length > 0, what);
      }
    });
  }
});

Deno.test("admits: nothing starts once the end began; downs always pass", () => {
  for (const phase of PHASES) {
    const ending = !["idle", "setup", "running"].includes(phase);
    for (const type of ["up", "restart", "auto-up"]) {
      assert.equal(
        admits(inPhase(phase), { type }),
        !ending,
        `${phase} ${type}`,
      );
    }
    for (const type of ["down", "exit", "timer", "ready", "drain"]) {
      assert.equal(admits(inPhase(phase), { type }), true, `${phase} ${type}`);
    }
    assert.equal(startsNewServices(inPhase(phase)), phase === "running");
  }
});

Deno.test("boot order: LOG first, then by name", () => {
  assert.deepEqual(bootOrder(["web", "LOG@x", "LOG", "a"]), [
    "LOG",
    "LOG@x",
    "a",
    "web",
  ]);
});
