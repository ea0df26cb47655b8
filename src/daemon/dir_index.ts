/**
 * Service directories by identity: which services a path names, found with
 * one `stat` of the path and one lookup by (device, inode), whatever the
 * number of services. The supervisor refreshes the index after every scan
 * (stat'ed at the first lookup after it) and every new instance; the
 * control server resolves absolute paths in requests (`nitroctl down .`
 * from a script) through it.
 *
 * Identity, not spelling: a path through symlinks, bind mounts or `..`
 * names the service as long as it reaches the same directory.
 *
 * @module
 */

import { splitInstance } from "../config/names.ts";

/** The key of a directory: device and inode. */
function keyOf(info: Deno.FileInfo): string | null {
  return info.dev === null || info.ino === null
    ? null
    : `${info.dev}:${info.ino}`;
}

/** The key of the directory at `path`, or null when it cannot be stat'ed. */
function statKey(path: string): string | null {
  try {
    return keyOf(Deno.statSync(path));
  } catch {
    return null;
  }
}

/**
 * Which services have their scripts in which directory.
 *
 * @example
 * ```ts ignore
 * import { DirectoryIndex, pickService } from "./dir_index.ts";
 * const index = new DirectoryIndex();
 * index.update([["web", "/etc/nitro/web"], ["getty@tty1", "/etc/nitro/getty@"]]);
 * pickService(await index.resolve("/etc/nitro/web"), undefined); // "web"
 * ```
 */
export class DirectoryIndex {
  /** How a path is looked at: asynchronously, never holding the event loop. */
  #stat: (path: string) => Promise<Deno.FileInfo>;

  constructor(stat: (path: string) => Promise<Deno.FileInfo> = Deno.stat) {
    this.#stat = stat;
  }

  /**
   * Names by directory key. Arrays, not sets: nearly every directory has
   * one service, and a set costs ten times the memory of a one-element array.
   */
  #byKey = new Map<string, string[]>();
  /** Directory key by name, to move or drop a name. */
  #keyOf = new Map<string, string>();
  /**
   * The entries of the last {@link replace}, not stat'ed yet: indexed at the
   * first use, so a rescan of thousands of services costs no stat each
   * unless a request names a service by path.
   */
  #pending: (readonly [string, string])[] | null = null;

  /**
   * Index (or re-index) the services of `entries`: service name, directory
   * of its scripts (the template's, for an instance). Others stay as they
   * are: call it for a new instance with just that one. Each distinct
   * directory is stat'ed once; a service whose directory cannot be stat'ed
   * (gone meanwhile) is left out.
   */
  update(entries: Iterable<readonly [string, string]>): void {
    this.#settle();
    const keys = new Map<string, string | null>();
    for (const [name, dir] of entries) {
      let key = keys.get(dir);
      if (key === undefined) {
        key = statKey(dir);
        keys.set(dir, key);
      }
      this.#unlink(name);
      if (key === null) continue;
      this.#keyOf.set(name, key);
      const names = this.#byKey.get(key);
      if (names === undefined) this.#byKey.set(key, [name]);
      else names.push(name);
    }
  }

  /**
   * Make the index exactly `entries` (after a scan: services that are gone
   * are forgotten too). Their directories are stat'ed when the index is
   * next used.
   */
  replace(entries: Iterable<readonly [string, string]>): void {
    this.#byKey.clear();
    this.#keyOf.clear();
    this.#pending = [...entries];
  }

  /** Forget one service. */
  forget(name: string): void {
    this.#settle();
    this.#unlink(name);
  }

  /** Index what the last replace left pending. */
  #settle(): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    this.update(pending);
  }

  #unlink(name: string): void {
    const old = this.#keyOf.get(name);
    if (old === undefined) return;
    this.#keyOf.delete(name);
    const names = this.#byKey.get(old)!.filter((n) => n !== name);
    if (names.length === 0) this.#byKey.delete(old);
    else this.#byKey.set(old, names);
  }

  /**
   * The services whose directory `path` is (several for a template's
   * instances; none when it is no service's). One asynchronous `stat`: the
   * event loop is never held up.
   */
  async resolve(path: string): Promise<string[]> {
    this.#settle();
    let info: Deno.FileInfo;
    try {
      info = await this.#stat(path);
    } catch {
      return [];
    }
    const key = keyOf(info);
    return key === null ? [] : [...(this.#byKey.get(key) ?? [])];
  }

  /** Number of services indexed. */
  get size(): number {
    this.#settle();
    return this.#keyOf.size;
  }
}

/**
 * Choose among the services sharing a directory: the one `hint` names (a
 * script's `$NITRO_SERVICE`), else the one named as the path's last
 * component (C nitroctl sends that name: `./web` is web, not a symlink
 * `alias` to it), else the only one, else the one that is not an instance
 * (the first such, when symlinks give one directory several names); null
 * when none fits. A path that ends in a template's own name (`getty@`)
 * names no service without a hint, however few instances share it: C
 * nitroctl sends `getty@` and hears "no such service".
 *
 * @example
 * ```ts
 * import { pickService } from "./dir_index.ts";
 * console.assert(pickService(["getty@1", "getty@2"], "getty@2") === "getty@2");
 * console.assert(pickService(["web"], undefined) === "web");
 * console.assert(pickService(["getty@1", "getty@2"], undefined) === null);
 * console.assert(pickService(["alias", "web"], undefined, "web") === "web");
 * console.assert(pickService(["getty@1"], undefined, "getty@") === null);
 * ```
 */
export function pickService(
  candidates: readonly string[],
  hint: string | undefined,
  lastComponent?: string,
): string | null {
  if (hint !== undefined && candidates.includes(hint)) return hint;
  if (lastComponent !== undefined && candidates.includes(lastComponent)) {
    return lastComponent;
  }
  if (lastComponent?.endsWith("@")) return null;
  if (candidates.length === 1) return candidates[0];
  return candidates.find((name) => splitInstance(name) === null) ?? null;
}
