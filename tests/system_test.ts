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
  startsNewServices,
  stepSystem,
  type System,
  type SystemEffect,
  type SystemInput,
} from "../src/core/system.ts";

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
      : e.type === "run"
      ? `run ${e.script} ${e.args.join(" ")}`.trim()
      : e.type === "say"
      ? `say ${e.text}`
      : e.type
  );

Deno.test("boot with SYS/setup: SETUP SYS, then DOWN SYS and the services", () => {
  const { system, effects } = feed(
    newSystem(),
    { type: "boot", hasSetup: true },
    { type: "setup-ended", wstatus: 0 },
  );
  assert.equal(system.phase, "running");
  assert.deepEqual(kinds(effects), [
    "say booting",
    "event SETUP",
    "run setup",
    "say SYS/setup finished with status 0",
    "event DOWN",
    "start-services",
  ]);
});

Deno.test("a full shutdown: finish, services, kill-all, final, ended", () => {
  const { system, effects } = feed(
    newSystem(),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "shutdown", hasFinish: true },
    { type: "finish-ended" },
    { type: "services-down" },
    { type: "killed" },
    { type: "final-ended" },
  );
  assert.equal(system.phase, "ended");
  assert.deepEqual(kinds(effects), [
    "say booting",
    "start-services",
    "say shutting down",
    "event SHUTDOWN",
    "run finish 0 0 shutdown",
    "say SYS/finish finished",
    "event DOWN",
    "stop-services",
    "kill-all",
    "run final shutdown",
    "say finished",
    "ended",
  ]);
});

Deno.test("an end during SYS/setup stops it; its exit then changes nothing", () => {
  const { system, effects } = feed(
    newSystem(),
    { type: "boot", hasSetup: true },
    { type: "end", mode: "reboot", hasFinish: false },
    { type: "setup-ended", wstatus: 15 },
  );
  assert.equal(system.phase, "services");
  assert.equal(system.mode, "reboot");
  assert.ok(kinds(effects).includes("stop-setup"));
  assert.ok(!kinds(effects).includes("start-services"));
});

Deno.test("setup killed by a signal reports 128 + N", () => {
  const { effects } = feed(
    newSystem(),
    { type: "boot", hasSetup: true },
    { type: "setup-ended", wstatus: 9 },
  );
  assert.ok(kinds(effects).includes("say SYS/setup finished with status 137"));
});

Deno.test("after `ended` a boot starts again (reboot outside a machine)", () => {
  const ended = feed(
    newSystem(),
    { type: "boot", hasSetup: false },
    { type: "end", mode: "reboot", hasFinish: false },
    { type: "services-down" },
    { type: "killed" },
    { type: "final-ended" },
  ).system;
  const again = feed(ended, { type: "boot", hasSetup: false });
  assert.equal(again.system.phase, "running");
});

/** A system in `phase` (mode shutdown). */
const inPhase = (phase: Phase): System => ({ phase, mode: "shutdown" });

const INPUTS: SystemInput[] = [
  { type: "boot", hasSetup: true },
  { type: "setup-ended", wstatus: 0 },
  { type: "end", mode: "reboot", hasFinish: true },
  { type: "finish-ended" },
  { type: "services-down" },
  { type: "killed" },
  { type: "final-ended" },
];

/** phase → input → the phase it leads to ("-" : ignored, no effect). */
const TABLE: Record<Phase, string[]> = {
  //         boot     setup-end  end       finish-end services-down killed  final-ended
  idle: ["setup", "-", "finish", "-", "-", "-", "-"],
  setup: ["-", "running", "finish", "-", "-", "-", "-"],
  running: ["-", "-", "finish", "-", "-", "-", "-"],
  finish: ["-", "-", "-", "services", "-", "-", "-"],
  services: ["-", "-", "-", "-", "killing", "-", "-"],
  killing: ["-", "-", "-", "-", "-", "final", "-"],
  final: ["-", "-", "-", "-", "-", "-", "ended"],
  ended: ["setup", "-", "-", "-", "-", "-", "-"],
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
