/**
 * The cases comparing our nitroctl with C's against a real C nitro, split
 * over two test files so that they run in parallel.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  cNitroOrSkip,
  normalise,
  type Run,
  RunningCNitro,
} from "./spat_helpers.ts";

/** Ready at once (notification-fd), then idle. */
const READY = {
  run: "#!/bin/sh\necho >&3\nexec sleep 1000 3>&-\n",
  "notification-fd": "3\n",
};
const SLEEP = "#!/bin/sh\nexec sleep 1000\n";

/** a runs, d is down (a `down` file), f's setup fails fatally. */
export const SERVICES = {
  a: READY,
  d: { ...READY, down: "" },
  f: { setup: "#!/bin/sh\nexit 111\n", run: SLEEP },
};

/**
 * The state every case starts from: a freshly restarted (a death a case
 * caused is over by then), d down.
 */
const BASE = [["cont", "a"], ["restart", "a"], ["stop", "d"]];

export interface Case {
  args: string[];
  /** C nitroctl commands run before each side, after BASE. */
  prep?: string[][];
  /** Working directory, relative to the service directory. */
  cwd?: string;
}

export const CASES: Case[] = [
  { args: [] },
  { args: ["list"] },
  { args: ["l"] },
  { args: ["info"] },
  { args: ["list", "a", "d"] },
  { args: ["list", "a", "nope"] },
  { args: ["list", "f"] },
  { args: ["pidof", "a"] },
  { args: ["pidof", "d"] },
  { args: ["pidof", "nope"] },
  { args: ["check", "a"] },
  { args: ["check", "a", "d"] },
  { args: ["check", "nope"] },
  { args: ["up", "d"] },
  { args: ["u", "d"] },
  { args: ["-v", "up", "d"] },
  { args: ["down", "a"] },
  { args: ["d", "a"] },
  { args: ["-v", "down", "a"] },
  { args: ["start", "d"] },
  { args: ["-v", "start", "d"] },
  { args: ["stop", "a"] },
  { args: ["-v", "stop", "a"] },
  { args: ["restart", "a"] },
  { args: ["-v", "restart", "a"] },
  { args: ["fast-start", "d"] },
  { args: ["fast-stop", "a"] },
  { args: ["fast-restart", "a"] },
  { args: ["r", "a"] },
  { args: ["start", "f"] },
  { args: ["restart", "f"] },
  { args: ["-v", "start", "f"] },
  { args: ["start", "nope"] },
  { args: ["stop", "nope"] },
  { args: ["start", "a", "nope"] },
  { args: ["wait-up", "a"] },
  { args: ["-v", "wait-up", "a"] },
  { args: ["wait-down", "d"] },
  { args: ["-v", "wait-down", "f"] },
  { args: ["wait-starting", "a"] },
  { args: ["wait-up", "nope"] },
  { args: ["-t", "0.5", "wait-down", "a"] },
  { args: ["-t", "0.5", "wait-up", "d"] },
  { args: ["ready", "a"] },
  { args: ["ready", "nope"] },
  { args: ["hup", "a"] },
  { args: ["h", "a"] },
  { args: ["alarm", "a"] },
  { args: ["interrupt", "a"] },
  { args: ["quit", "a"] },
  { args: ["term", "a"] },
  { args: ["kill", "a"] },
  { args: ["1", "a"] },
  { args: ["2", "a"] },
  { args: ["pause", "a"] },
  { args: ["cont", "a"], prep: [["pause", "a"]] },
  { args: ["hup", "d"] },
  { args: ["hup", "nope"] },
  { args: ["hup", "a", "d"] },
  { args: ["rescan"] },
  { args: ["scan"] },
  { args: ["pidof", "."], cwd: "a" },
  { args: ["list", "./a", "d"], cwd: "" },
  { args: ["stop", "../a"], cwd: "d" },
  { args: ["stop", "a", "./ghost"], cwd: "" },
];

/**
 * How many C nitros run the cases at once: each case mostly waits (for
 * processes to start, states to change), so they share a machine well.
 */
const INSTANCES = 8;

/**
 * Run each case with C's nitroctl, then with ours, from the same state,
 * and compare what they print and how they exit. The cases are cut into
 * runs of consecutive cases, one per C nitro (each on its own directory
 * and socket), run at once. Consecutive: a case may leave traces in the
 * state BASE does not reset (the wait status of a's last death), so each
 * case follows the one it follows in the list, or a fresh nitro.
 */
export async function compareWithC(cases: readonly Case[]): Promise<void> {
  const c = await cNitroOrSkip();
  if (c === null) return;
  const size = Math.ceil(cases.length / INSTANCES);
  const runs = [];
  for (let i = 0; i < cases.length; i += size) {
    runs.push(cases.slice(i, i + size));
  }
  const outcomes = await Promise.allSettled(runs.map(async (run) => {
    await using nitro = await RunningCNitro.start(c, SERVICES);
    for (const t of run) await compareOne(nitro, t);
  }));
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") throw outcome.reason;
  }
}

/** One case, C's nitroctl then ours, on one C nitro. */
async function compareOne(nitro: RunningCNitro, t: Case): Promise<void> {
  const prepare = async (steps: string[][]) => {
    for (const step of steps) await nitro.cctl(step);
  };
  const cwd = t.cwd === undefined ? undefined : `${nitro.services}/${t.cwd}`;
  const steps = [...BASE, ...(t.prep ?? [])];
  await prepare(steps);
  const theirs = await nitro.cctl(t.args, { cwd });
  await prepare(steps);
  const ours = await nitro.ours(t.args, { cwd });
  const show = (r: Run) => ({
    code: r.code,
    stdout: normalise(r.stdout),
    stderr: normalise(r.stderr),
  });
  assert.deepEqual(show(ours), show(theirs), `nitroctl ${t.args.join(" ")}`);
  assert.deepEqual(
    nitro.leftovers(),
    [],
    `${t.args.join(" ")}: reply sockets left`,
  );
}

/** Whether a case asks for a change of state (or waits for one). */
export function changes(args: readonly string[]): boolean {
  const verb = args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "-t");
  return /^(up|u|down|d|start|stop|restart|fast-.*|r|wait-.*|ready)$/.test(
    verb ?? "",
  );
}
