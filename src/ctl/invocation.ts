/**
 * The name nitroctl was invoked under, which selects a mode: as `halt`,
 * `poweroff`, `reboot` or `init` it acts like the sysvinit tools of that name.
 *
 * @module
 */

/** Hidden option naming the invocation explicitly: `--as=halt`. */
const AS_OPTION = "--as=";

/** How nitroctl was invoked: the name that picks the mode, and the rest. */
export interface Invocation {
  /** Basename of argv[0], or the `--as=` override. */
  name: string;
  /** The arguments, without a leading `--as=NAME`. */
  args: string[];
}

/**
 * Work out the invocation name. A leading `--as=NAME` wins: under
 * `deno run` argv[0] is `deno`, so launchers for `halt` & co. bake it in.
 * (`node:` modules are loaded only when needed: each costs start-up time.)
 * Otherwise the basename of argv[0] (a `deno compile` binary run through a
 * `halt` symlink sees `halt`).
 *
 * @param argv0 Reads argv[0]; called only when there is no `--as=`.
 *
 * @example
 * ```ts
 * import { invocation } from "./invocation.ts";
 * const { name, args } = await invocation(["--as=init", "6"]);
 * console.assert(name === "init" && args[0] === "6");
 * const halt = await invocation(["-f"], () => "/sbin/halt");
 * console.assert(halt.name === "halt");
 * ```
 */
export async function invocation(
  args: readonly string[],
  argv0: () => string | Promise<string> = processArgv0,
): Promise<Invocation> {
  if (args[0]?.startsWith(AS_OPTION)) {
    return { name: args[0].slice(AS_OPTION.length), args: args.slice(1) };
  }
  const zeroth = await argv0();
  // node:path only for a real path: loading it costs start-up time.
  const name = zeroth.includes("/")
    ? (await import("node:path")).basename(zeroth)
    : zeroth;
  return { name, args: [...args] };
}

/**
 * argv[0] of this process. Not from `/proc/self/cmdline`: Deno lets only
 * `--allow-all` programs read `/proc/self`. `node:process` knows it, but
 * loading it costs ~10 ms of startup, so it is loaded only in a compiled
 * binary; under `deno run` argv[0] is the deno executable, i.e. nitroctl.
 */
async function processArgv0(): Promise<string> {
  if (!Deno.build.standalone) return "nitroctl";
  return (await import("node:process")).argv0;
}
