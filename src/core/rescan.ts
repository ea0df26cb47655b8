/**
 * What a rescan changes, decided from plain data: the
 * services nitro knows, what the scan found, and which loggers are referred
 * to. The shell carries the plan out.
 *
 * @module
 */

import { splitInstance } from "../config/names.ts";

/** A service nitro knows, as the plan sees it. */
export interface KnownService {
  name: string;
  /** It has an entry in DIR (as opposed to an instance made by `up`). */
  onDisk: boolean;
  /** DOWN with no process: can be forgotten without stopping anything. */
  idle: boolean;
}

/** A service the scan found in DIR. */
export interface FoundService {
  name: string;
  /** The directory of its scripts (the template's, for an instance). */
  dir: string;
  param: string | null;
}

/** What the shell does after a scan. */
export interface RescanPlan {
  /** New entries of DIR: add them (and bring them up unless `down`). */
  add: FoundService[];
  /** Known entries still in DIR: refresh their directory. */
  keep: FoundService[];
  /** Gone from DIR (or their template is): bring down, forget once DOWN. */
  remove: string[];
  /** Forget now: instances that are DOWN, not in DIR, not a logger. */
  forget: string[];
}

/**
 * Plan a rescan.
 *
 * @example An instance made by `nitroctl up` loses its template
 * ```ts
 * import { planRescan } from "./rescan.ts";
 * const plan = planRescan(
 *   [{ name: "sv@x", onDisk: false, idle: false }],
 *   { services: new Map(), templates: new Set() },
 *   new Set(),
 * );
 * // plan.remove = ["sv@x"]
 * ```
 */
export function planRescan(
  known: readonly KnownService[],
  found: {
    services: ReadonlyMap<string, FoundService>;
    templates: ReadonlySet<string>;
  },
  loggers: ReadonlySet<string>,
): RescanPlan {
  const plan: RescanPlan = { add: [], keep: [], remove: [], forget: [] };
  const byName = new Map(known.map((k) => [k.name, k]));
  for (const f of found.services.values()) {
    (byName.has(f.name) ? plan.keep : plan.add).push(f);
  }
  for (const k of known) {
    if (found.services.has(k.name)) continue;
    const template = splitInstance(k.name)?.template;
    const templateGone = template !== undefined &&
      !found.templates.has(template);
    if (k.onDisk || templateGone) plan.remove.push(k.name);
    else if (k.idle && !loggers.has(k.name)) plan.forget.push(k.name);
  }
  return plan;
}
