/**
 * nitro's private runtime directory, `<socket>.d/`: where its log pipes
 * (FIFOs) live and where its socket is bound before it is linked
 * into place.
 *
 * nitro usually runs as root, and its services open these FIFOs by path, so
 * no other user may be able to place or replace anything on the way to them.
 * The rules (pure functions below, unit tested):
 * - every directory on the path, symlinks followed, is owned by root or by
 *   nitro's uid, and is not writable by group or others unless it is sticky
 *   (as `/tmp` is); a symlink on the path is owned by root or nitro's uid;
 * - the runtime directory itself is created by nitro, mode 0700, and then
 *   checked with `lstat`: a directory (not a symlink), owned by nitro's uid,
 *   no group or other bits;
 * - at start only FIFOs (nitro's own, in its own private directory) are
 *   removed from it; anything else there is refused, and nothing touched.
 *
 * Breaking a rule throws {@link UnsafePath}, whose message names the path and
 * the reason; the daemon exits 111 with it.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { message } from "../errors.ts";
import { isExecutable } from "../config/scan.ts";

/** A path nitro refuses to use; the message names it and says why. */
export class UnsafePath extends Error {}

/** What `lstat` found, as far as these rules care. */
export interface Entry {
  kind: "directory" | "symlink" | "fifo" | "socket" | "file" | "other";
  /** Owner. */
  uid: number;
  /** Permission bits, with setuid/setgid/sticky (`st_mode & 0o7777`). */
  mode: number;
  /** Device and inode: which file it is (absent where unknown). */
  id?: string;
}

/**
 * Name of the temporary socket inside the runtime directory (see socket.ts):
 * no service name contains ",", and it is
 * short, since a socket path is limited to 107 bytes.
 */
export const BIND_NAME = ",";

/**
 * Names of the records of running service processes (survivors.ts) begin
 * with this: a service name holds no ",", so `,run,NAME` is never one of
 * the names made from {@link BIND_NAME} for sockets.
 */
export const RECORD_PREFIX = ",run,";

/** The runtime directory that belongs to the socket at `socket`. */
export function runtimeDirFor(socket: string): string {
  return `${resolve(socket)}.d`;
}

/** `0o755` -> `"0755"`. */
export function octal(mode: number): string {
  return "0" + (mode & 0o7777).toString(8).padStart(3, "0");
}

/**
 * Why another user could replace what lies in (or under) the directory
 * `entry`, or null. Root and `uid` are trusted; others must not own it, nor
 * write to it unless the sticky bit keeps them from others' entries.
 */
export function ancestorProblem(entry: Entry, uid: number): string | null {
  if (entry.kind !== "directory") return `not a directory (a ${entry.kind})`;
  if (entry.uid !== 0 && entry.uid !== uid) {
    return `owned by uid ${entry.uid}, neither root nor nitro's uid ${uid}`;
  }
  if ((entry.mode & 0o022) !== 0 && (entry.mode & 0o1000) === 0) {
    return `writable by group or others without the sticky bit (mode ${
      octal(entry.mode)
    })`;
  }
  return null;
}

/**
 * Why a symlink on the path could be swapped by another user, or null. (In a
 * sticky directory the owner of an entry may still replace it.)
 */
export function symlinkProblem(entry: Entry, uid: number): string | null {
  if (entry.uid !== 0 && entry.uid !== uid) {
    return `a symlink owned by uid ${entry.uid}, neither root nor nitro's uid ${uid}`;
  }
  return null;
}

/** Why `entry` is not nitro's private directory, or null. */
export function privateDirProblem(entry: Entry, uid: number): string | null {
  if (entry.kind !== "directory") {
    return `not a directory of nitro's (a ${entry.kind})`;
  }
  if (entry.uid !== uid) {
    return `owned by uid ${entry.uid}, not nitro's uid ${uid}`;
  }
  if ((entry.mode & 0o077) !== 0) {
    return `open to group or others (mode ${
      octal(entry.mode)
    }); nitro's is 0700`;
  }
  return null;
}

/**
 * Whether an entry found in the private directory at start is nitro's own
 * leftover (a FIFO, or one of its sockets), which may be removed.
 */
export function isLeftover(name: string, entry: Entry, uid: number): boolean {
  if (entry.uid !== uid) return false;
  // Sockets and symlinks of nitro's are named from BIND_NAME: the control
  // socket's bind, the notify directory's senders and links (notify_dir.ts).
  return entry.kind === "fifo" ||
    ((entry.kind === "socket" || entry.kind === "symlink") &&
      name.startsWith(BIND_NAME) && !name.startsWith(RECORD_PREFIX)) ||
    isRunningRecord(name, entry);
}

/**
 * Whether the entry `name` is a record of a running service process
 * (src/daemon/survivors.ts): a private regular file named `,run,NAME`. Kept
 * at start, for the survivors of a crashed nitro to be found.
 */
export function isRunningRecord(name: string, entry: Entry): boolean {
  return entry.kind === "file" && (entry.mode & 0o077) === 0 &&
    name.length > RECORD_PREFIX.length && name.startsWith(RECORD_PREFIX);
}

/** Why `name` cannot name a FIFO in the runtime directory, or null. */
export function fifoNameProblem(name: string): string | null {
  if (name === "" || name === "." || name === "..") return "not a file name";
  if (name.includes("/") || name.includes("\0")) {
    return "contains '/' or NUL";
  }
  return null;
}

/** `lstat` as an {@link Entry}; null when nothing is there. */
export function lstatEntry(path: string): Entry | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new UnsafePath(`${path}: cannot inspect: ${message(err)}`);
  }
  return toEntry(info);
}

/** An {@link Entry} from Deno's file info. */
export function toEntry(info: Deno.FileInfo): Entry {
  const kind = info.isSymlink
    ? "symlink"
    : info.isDirectory
    ? "directory"
    : info.isFile
    ? "file"
    : info.isFifo
    ? "fifo"
    : info.isSocket
    ? "socket"
    : "other";
  const id = info.dev != null && info.ino != null
    ? `${info.dev}:${info.ino}`
    : undefined;
  return { kind, uid: info.uid ?? -1, mode: (info.mode ?? 0) & 0o7777, id };
}

/** nitro's effective uid (`--allow-sys=uid`). */
export function ownUid(): number {
  return Deno.uid() ?? 0;
}

/** Symlinks followed on one path before giving up (as the kernel's 40). */
const MAX_LINKS = 40;

/**
 * Make sure no other user can replace anything on the way to `dir` or in it,
 * creating the missing directories (mode 0700) as it goes. Throws
 * {@link UnsafePath} naming the offending path and the reason. Returns the
 * real path of `dir`.
 */
export function secureDirectory(dir: string, uid: number = ownUid()): string {
  // Resolved component by component as the kernel does: symlink targets are
  // spliced in, and ".." after a symlink goes up from where it led.
  const todo = dir.split("/").filter((p) => p !== "");
  if (!dir.startsWith("/")) todo.unshift(...Deno.cwd().split("/"));
  let current = "/";
  let links = 0;
  check(current, lstatEntry(current), uid);
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let entry = lstatEntry(next);
    if (entry === null) {
      try {
        Deno.mkdirSync(next, { mode: 0o700 });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) {
          throw new UnsafePath(`${next}: cannot create: ${message(err)}`);
        }
      }
      entry = lstatEntry(next);
    }
    if (entry?.kind === "symlink") {
      // `current` is safe, so only the link's owner could change it.
      const problem = symlinkProblem(entry, uid);
      if (problem !== null) throw new UnsafePath(`${next}: ${problem}`);
      if (++links > MAX_LINKS) {
        throw new UnsafePath(`${next}: too many levels of symlinks`);
      }
      const target = Deno.readLinkSync(next);
      if (target.startsWith("/")) current = "/";
      todo.unshift(...target.split("/"));
      continue;
    }
    check(next, entry, uid);
    current = next;
  }
  return current;
}

function check(path: string, entry: Entry | null, uid: number): void {
  const problem = entry === null
    ? "vanished while being checked"
    : ancestorProblem(entry, uid);
  if (problem !== null) throw new UnsafePath(`${path}: ${problem}`);
}

/** nitro's private runtime directory; see the module documentation. */
export class RuntimeDir {
  /** Where mkfifo(1) is, once looked for (Deno has no mkfifo(2)). */
  #mkfifo: string | undefined;
  /**
   * nitro's hold on the directory, for its life: while it is open, the
   * directory's inode cannot be given to another, so its device and inode
   * ({@link #id}) say for sure whether the path still leads to it.
   */
  #hold: Deno.FsFile | undefined;
  #id: string | undefined;

  private constructor(readonly path: string, readonly uid: number) {}

  /**
   * Create or verify the private directory at `path` (its parent chain
   * included), and remove nitro's leftover FIFOs from it. Anything else in it
   * is refused, before anything is removed.
   */
  static open(path: string, uid: number = ownUid()): RuntimeDir {
    // The real path: what services open holds no symlink at all.
    path = join(secureDirectory(dirname(path), uid), basename(path));
    if (lstatEntry(path) === null) {
      try {
        Deno.mkdirSync(path, { mode: 0o700 });
      } catch (err) {
        throw new UnsafePath(`${path}: cannot create: ${message(err)}`);
      }
    }
    const dir = new RuntimeDir(path, uid);
    dir.verify();
    dir.#hold = Deno.openSync(path, { read: true });
    dir.#id = toEntry(dir.#hold.statSync()).id;
    dir.verify(); // The one held is the one checked.
    const leftovers: string[] = [];
    for (const { name } of Deno.readDirSync(path)) {
      const entry = lstatEntry(join(path, name));
      if (entry === null) continue;
      if (!isLeftover(name, entry, uid)) {
        throw new UnsafePath(
          `${path}: holds ${name} (a ${entry.kind} owned by uid ${entry.uid}), ` +
            "which is not nitro's; remove it by hand",
        );
      }
      if (!isRunningRecord(name, entry)) leftovers.push(name);
    }
    for (const name of leftovers) Deno.removeSync(join(path, name));
    return dir;
  }

  /**
   * Throw unless the directory is still nitro's, private, and the very one
   * it opened: one put in its place (a cleaner of a shared /tmp removed
   * nitro's, another user made theirs) is refused even if it looks right.
   */
  verify(): void {
    const entry = lstatEntry(this.path) ??
      { kind: "other", uid: -1, mode: 0 };
    const problem = privateDirProblem(entry, this.uid) ??
      (this.#id !== undefined && entry.id !== this.#id
        ? "not the directory nitro made (replaced while nitro ran)"
        : null);
    if (problem !== null) throw new UnsafePath(`${this.path}: ${problem}`);
  }

  /** Path of the entry `name` in the directory. */
  pathOf(name: string): string {
    const problem = fifoNameProblem(name);
    if (problem !== null) {
      throw new UnsafePath(`${JSON.stringify(name)}: ${problem}`);
    }
    return join(this.path, name);
  }

  /**
   * Create the FIFO `name` (mode 0600) and return its path. A FIFO of the
   * same name is replaced; anything else there is refused.
   */
  makeFifo(name: string): string {
    const path = this.pathOf(name);
    this.verify();
    this.removeFifo(name);
    if (lstatEntry(path) !== null) {
      throw new UnsafePath(`${path}: exists and is not a FIFO`);
    }
    // Looked for once per directory: a root daemon must not run whatever
    // a PATH entry offers under that name (nor fail when PATH lacks it).
    this.#mkfifo ??= mkfifoPath();
    const made = new Deno.Command(this.#mkfifo, {
      args: ["-m", "0600", "--", path],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!made.success) {
      throw new Error(
        `cannot create FIFO ${path}: ${
          new TextDecoder().decode(made.stderr).trim()
        }`,
      );
    }
    const entry = lstatEntry(path);
    if (entry?.kind !== "fifo" || entry.uid !== this.uid) {
      throw new UnsafePath(`${path}: not the FIFO nitro just made`);
    }
    return path;
  }

  /** Whether the entry `name` is a FIFO of nitro's. */
  isFifo(name: string): boolean {
    const entry = lstatEntry(this.pathOf(name));
    return entry?.kind === "fifo" && entry.uid === this.uid;
  }

  /** Remove the FIFO `name` if there is one; anything else is left alone. */
  removeFifo(name: string): boolean {
    const path = this.pathOf(name);
    if (lstatEntry(path)?.kind !== "fifo") return false;
    try {
      Deno.removeSync(path);
      return true;
    } catch {
      return false; // Gone meanwhile.
    }
  }

  /** Remove nitro's FIFOs and then the directory, if nothing else is left. */
  remove(): void {
    this.#hold?.close();
    this.#hold = undefined;
    try {
      for (const { name } of Deno.readDirSync(this.path)) {
        this.removeFifo(name);
      }
      Deno.removeSync(this.path);
    } catch {
      // Gone already, or something not ours is in it: leave it.
    }
  }
}

/** Where `mkfifo` may live: system directories only, never a PATH lookup. */
const MKFIFO_CANDIDATES = [
  "/usr/bin/mkfifo",
  "/bin/mkfifo",
  "/usr/sbin/mkfifo",
  "/sbin/mkfifo",
];

/**
 * The absolute path of `mkfifo`: a root daemon must not run whatever a PATH
 * entry offers under that name (nor fail when PATH lacks it).
 */
export function mkfifoPath(): string {
  const path = MKFIFO_CANDIDATES.find(isExecutable);
  if (path === undefined) {
    throw new Error(`no mkfifo in ${MKFIFO_CANDIDATES.join(", ")}`);
  }
  return path;
}
