/**
 * Which entries each service directory holds, listed again only when the
 * directory has changed: one `stat` per decision instead of a listing.
 *
 * Why not list every time: what Deno's `readDirSync` returns ends up in
 * V8's old generation (in a scratch test, 20,000 listings of a directory of
 * two entries grew it by about 3 MB; the same objects made in JavaScript
 * did not), so a listing at every decision piles up garbage that only a
 * full collection takes back: about 0.4 MB per 1,000 restarts of a service
 * and its logger.
 *
 * A directory has changed when its device, inode or mtime has. Adding,
 * removing or renaming an entry moves the mtime; the contents of the option
 * files are read when they are used (see `readOption`). A listing
 * taken while the directory's mtime is younger than {@link RACY_MS} is used
 * once and not kept: a change within the clock's resolution after it would
 * leave the mtime as it was (git's "racy" index entries).
 *
 * @module
 */

import { type Entries, listEntries } from "../config/scan.ts";

/** How old a directory's mtime must be before its listing is kept, ms. */
export const RACY_MS = 2000;

interface Listing {
  dev: number;
  ino: number;
  mtime: number;
  entries: Entries;
}

/**
 * The entries of service directories, by path.
 *
 * @example
 * ```ts
 * import { EntryCache } from "./entry_cache.ts";
 * import { hasEntry } from "../config/scan.ts";
 * const dir = Deno.makeTempDirSync();
 * const cache = new EntryCache();
 * console.assert(!hasEntry(cache.of(dir)!, "down"));
 * Deno.writeTextFileSync(`${dir}/down`, "");
 * console.assert(hasEntry(cache.of(dir)!, "down"));
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class EntryCache {
  #listings = new Map<string, Listing>();

  /** What `dir` holds now; null when it is gone. */
  of(dir: string): Entries | null {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch {
      this.#listings.delete(dir);
      return null;
    }
    const mtime = info.mtime?.getTime() ?? null;
    const dev = info.dev ?? -1;
    const ino = info.ino ?? -1;
    const kept = this.#listings.get(dir);
    if (
      kept !== undefined && mtime !== null && kept.mtime === mtime &&
      kept.dev === dev && kept.ino === ino
    ) {
      return kept.entries;
    }
    const entries = listEntries(dir);
    const settled = mtime !== null && Date.now() - mtime >= RACY_MS;
    if (entries !== null && settled && ino !== -1) {
      this.#listings.set(dir, { dev, ino, mtime, entries });
    } else {
      this.#listings.delete(dir);
    }
    return entries;
  }

  /** Forget every listing (at a rescan: directories may have gone). */
  clear(): void {
    this.#listings.clear();
  }

  /** Number of listings kept. */
  get size(): number {
    return this.#listings.size;
  }
}
