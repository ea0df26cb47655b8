/**
 * The system shell: the one place that carries out what the system core
 * (src/core/system.ts) decides - boot, SYS scripts, bringing every service
 * down in order, the last sweep of pid 1, booting again, SYS/reincarnate,
 * powering the machine off, and nitro's exit - and feeds back when each
 * part is over. It drives the {@link Supervisor} (the service table) and
 * acts on the world only through its {@link Host} and the pid-1 duties.
 *
 * @module
 */

import { join } from "node:path";
import { SYS } from "../config/names.ts";
import { impossible } from "../core/service.ts";
import {
  type EndMode,
  newSystem,
  type Role,
  stepSystem,
  type SysScript,
  type System,
  type SystemEffect,
  type SystemInput,
} from "../core/system.ts";
import { decodeStatus, exitCode } from "../core/exit_status.ts";
import { escapeControl } from "../core/text.ts";
import { reincarnateFailedLine } from "../init/console_lines.ts";
import { guard, type Host, sayInternal } from "./host.ts";
import { type Stdio, Supervisor } from "./supervisor.ts";
import { runSysScript } from "./sys_script.ts";

/**
 * How long output may stand still before nitro exits, execs or reboots
 * without its last messages (a stopped console would hold them for ever).
 */
export const LAST_WORDS_MS = 1000;

/** What only pid 1 can do; absent for a plain process. */
export interface Pid1Duties {
  /** Kill every remaining process, before SYS/final. */
  killAll(): Promise<void>;
  /** A machine's end: sync, remount read-only, power off or reboot. */
  power(mode: EndMode): Promise<void>;
  /** Exec `path` in nitro's place; throws if the exec failed. */
  reincarnate(path: string): void;
}

/** Options of a {@link SystemShell}. */
export interface SystemShellOptions {
  /** The service directory, absolute. */
  dir: string;
  host: Host;
  stdio: Stdio;
  role: Role;
  pid1?: Pid1Duties;
  /** Stop serving the control socket and remove it. */
  closeControl?: () => Promise<void>;
}

/** The system lifecycle of one nitro, from boot to exit. */
export class SystemShell {
  /** The service table, which the control server serves. */
  readonly supervisor: Supervisor;
  #opts: SystemShellOptions;
  #host: Host;
  #system: System;
  #queue: SystemInput[] = [];
  #busy = false;
  /** A look at the stopping services is due (one per turn, not per stop). */
  #lookDue = false;
  #exit: (code: number) => void = () => {};

  constructor(opts: SystemShellOptions) {
    this.#opts = opts;
    this.#host = opts.host;
    this.#system = newSystem(opts.role);
    this.supervisor = new Supervisor({
      dir: opts.dir,
      host: opts.host,
      stdio: opts.stdio,
      system: () => this.#system,
      stopped: () => this.#servicesChanged(),
    });
  }

  /** Where the system stands now. */
  get system(): System {
    return this.#system;
  }

  /**
   * Boot: SYS/setup, then every service without `down`, LOG first; go on
   * until the end. Resolves with nitro's exit status.
   */
  run(): Promise<number> {
    const exited = this.#exited();
    this.#boot();
    return exited;
  }

  /**
   * nitro cannot run (`problem` says why): say so, run SYS/fatal, and exit
   * (a machine's pid 1 reboots instead). Resolves with the exit status.
   */
  fatal(problem: string): Promise<number> {
    const exited = this.#exited();
    this.#input({
      type: "fatal",
      problem,
      hasFatal: this.#has("fatal"),
    });
    return exited;
  }

  /** Begin the end: SYS/finish, services down in order, SYS/final. */
  end(mode: EndMode): void {
    this.#input({ type: "end", mode, hasFinish: this.#has("finish") });
  }

  #exited(): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#exit = resolve;
    return promise;
  }

  #boot(): void {
    this.#input({ type: "boot", hasSetup: this.#has("setup") });
  }

  #has(script: string): boolean {
    return this.#host.tree.isExecutable(join(this.#opts.dir, SYS, script));
  }

  /**
   * During the end, a service stopped: the core decides what follows. The
   * look covers every service, so the stops of one turn share one look;
   * a look per stop made a shutdown of N services cost N² steps.
   */
  #servicesChanged(): void {
    if (this.#system.phase !== "services" || this.#lookDue) return;
    this.#lookDue = true;
    this.#host.clock.after(0, () => {
      this.#lookDue = false;
      if (this.#system.phase !== "services") return;
      this.#input({ type: "services", ...this.supervisor.atEnd() });
    });
  }

  /**
   * Feed one input. Inputs that arrive while effects are carried out wait
   * their turn: effects happen in the order the core gave them.
   */
  #input(input: SystemInput): void {
    this.#queue.push(input);
    if (!this.#busy) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const { system, effects } = stepSystem(
          this.#system,
          this.#queue.shift()!,
        );
        this.#system = system;
        for (const effect of effects) {
          try {
            // Only the last acts (exec, power, exit) are waited for.
            const done = this.#carryOut(effect);
            if (done !== undefined) await done;
          } catch (err) {
            // Whatever went wrong, the lifecycle must go on.
            sayInternal(this.#host.console, effect.type, err);
          }
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  #carryOut(effect: SystemEffect): Promise<void> | void {
    const sup = this.supervisor;
    switch (effect.type) {
      case "say":
        return this.#say(effect.text);
      case "write":
        return this.#host.console.write(effect.text);
      case "event":
        return sup.setSys(effect.state);
      case "announce":
        return sup.announceSys(effect.state);
      case "run":
        return this.#runSys(effect.script, effect.args, effect.limitMs);
      case "stop-setup": {
        const pid = sup.status(SYS)?.pid ?? null;
        if (pid !== null) this.#host.processes.signal(-pid, "SIGTERM");
        return;
      }
      case "scan":
        return guard(this.#host.console, "boot", () => sup.reset());
      case "start-services":
        return sup.startAll();
      case "stop-services":
        return this.#input({ type: "services", ...sup.atEnd() });
      case "stop":
        return sup.stop(effect.name, effect.input);
      case "kill-all": {
        const killAll = this.#opts.pid1?.killAll() ?? Promise.resolve();
        killAll.catch((err) => sayInternal(this.#host.console, "kill-all", err))
          .finally(() =>
            this.#input({
              type: "killed",
              hasReincarnate: this.#has("reincarnate"),
            })
          );
        return;
      }
      case "ended":
        return sup.ended();
      case "boot":
        return this.#boot();
      case "reincarnate":
        return this.#reincarnate();
      case "close-control":
        return this.#opts.closeControl?.();
      case "power":
        return this.#opts.pid1?.power(effect.mode);
      case "exit":
        return this.#host.console.flush(LAST_WORDS_MS).then(() =>
          this.#exit(effect.code)
        );
      default:
        impossible("system effect", effect);
    }
  }

  #runSys(script: SysScript, args: string[], limitMs: number | null): void {
    const sup = this.supervisor;
    const boot = sup.boot;
    const started = this.#host.clock.now();
    const ended = (wstatus: number | null) => {
      if (boot !== sup.boot) return; // A reboot overtook it.
      sup.setSysPid(null);
      if (script === "final" && wstatus !== null) {
        const overran = limitMs !== null &&
          this.#host.clock.now() - started >= limitMs &&
          decodeStatus(wstatus).signo === 9;
        this.#say(finalEndedLine(wstatus, overran));
      }
      this.#input(endedInput(script, wstatus));
    };
    if (!this.#has(script)) return ended(null);
    if (script === "final") this.#say(`${SYS}/final starting`);
    try {
      runSysScript(this.#host, {
        dir: this.#opts.dir,
        script,
        args,
        limitMs,
        stdout: sup.sysStdout(script),
        stderrInherit: this.#opts.stdio.stderr,
        started: (pid) => sup.setSysPid(pid),
      }, (wstatus) => {
        sup.collected();
        ended(wstatus);
      });
    } catch (err) {
      // Whatever went wrong, the lifecycle must go on, or nitro never ends.
      sayInternal(this.#host.console, `${SYS}/${script}`, err);
      ended(null);
    }
  }

  /** Exec SYS/reincarnate after the last words; on return it failed. */
  async #reincarnate(): Promise<void> {
    const path = join(this.#opts.dir, SYS, "reincarnate");
    await this.#host.console.flush(LAST_WORDS_MS);
    try {
      if (!this.#opts.pid1) throw new Error("not pid 1");
      this.#opts.pid1.reincarnate(path);
    } catch (err) {
      this.#host.console.say(reincarnateFailedLine(err));
    }
  }

  /** One console line; what came from elsewhere cannot rewrite it. */
  #say(text: string): void {
    this.#host.console.say(`- nitro: ${escapeControl(text)}`);
  }
}

/**
 * How SYS/final ended, in C nitro's words: its exit status (128 + N for a
 * death by signal N, where C says 0), or that it ran over its time.
 */
function finalEndedLine(wstatus: number, overran: boolean): string {
  return overran
    ? `${SYS}/final terminated after timeout`
    : `${SYS}/final finished with status ${exitCode(wstatus)}`;
}

/** What tells the core that SYS/`script` is over. */
function endedInput(script: SysScript, wstatus: number | null): SystemInput {
  switch (script) {
    case "setup":
      // One that could not start counts as "command not found".
      return { type: "setup-ended", wstatus: wstatus ?? 127 << 8 };
    case "finish":
      return { type: "finish-ended" };
    case "final":
      return { type: "final-ended" };
    case "fatal":
      return { type: "fatal-ended" };
    default:
      return impossible("SYS script", script);
  }
}
