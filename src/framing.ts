/**
 * Line framing of the control protocol, for both ends: a byte stream split
 * on `\n`, each line bounded in bytes and decoded as UTF-8 on its own.
 *
 * Splitting happens on bytes, before decoding: a `\n` byte never occurs
 * inside a multi-byte UTF-8 sequence, so a character cut in two by a read
 * boundary is decoded whole, and a line that is not valid UTF-8 is told
 * apart (`lossy`) instead of silently turned into U+FFFD.
 *
 * @module
 */

/** One unit of framed input. */
export type Frame =
  | {
    kind: "line";
    /** The line without its `\n`, decoded (U+FFFD for invalid bytes). */
    text: string;
    /** The line was not valid UTF-8. */
    lossy: boolean;
  }
  | {
    /** A line exceeded the limit; the stream cannot be resynchronised. */
    kind: "too-long";
  };

const NEWLINE = 0x0a;
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Splits chunks of a byte stream into lines of at most `maxBytes` bytes
 * (newline excluded). Holds at most `maxBytes` bytes of an unfinished line.
 * After a `too-long` frame it yields nothing more.
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./framing.ts";
 * const split = new LineSplitter(4096);
 * const bytes = new TextEncoder().encode('{"op":"list"}\n{"op":');
 * console.assert(split.push(bytes).length === 1); // the second is pending
 * ```
 */
export class LineSplitter {
  /** Longest line accepted, in bytes, newline excluded. */
  readonly maxBytes: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #broken = false;

  /** A splitter accepting lines of up to `maxBytes` bytes. */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held of an unfinished line. */
  get pending(): number {
    return this.#size;
  }

  /**
   * Feed one chunk (it is not kept: the caller may reuse its buffer) and
   * get the frames it completes, in order.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (!this.#broken) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      if (this.#size + end - start > this.maxBytes) {
        this.#broken = true;
        this.#parts = [];
        this.#size = 0;
        frames.push({ kind: "too-long" });
        break;
      }
      if (nl < 0) {
        if (start < chunk.length) {
          this.#parts.push(chunk.slice(start));
          this.#size += chunk.length - start;
        }
        break;
      }
      frames.push(decodeLine(this.#take(chunk.subarray(start, nl))));
      start = nl + 1;
    }
    return frames;
  }

  /** The pending parts plus `tail`, as one line; the splitter starts over. */
  #take(tail: Uint8Array): Uint8Array {
    if (this.#parts.length === 0) return tail;
    const line = new Uint8Array(this.#size + tail.length);
    let off = 0;
    for (const part of this.#parts) {
      line.set(part, off);
      off += part.length;
    }
    line.set(tail, off);
    this.#parts = [];
    this.#size = 0;
    return line;
  }
}

/** Decode one line, strictly if it can be, leniently (and say so) if not. */
function decodeLine(bytes: Uint8Array): Frame {
  try {
    return { kind: "line", text: strict.decode(bytes), lossy: false };
  } catch {
    return { kind: "line", text: lenient.decode(bytes), lossy: true };
  }
}

/** Something to read bytes from (a `Deno.Conn`, for one). */
export interface ByteReader {
  /** Read into `buffer`; resolves with the byte count, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/**
 * Frames of a stream until it ends (or after a `too-long` frame, which is
 * the last). An unfinished last line, without its `\n`, is dropped: both
 * ends terminate every line they mean.
 *
 * Plain reads, not `conn.readable`: setting up web streams costs a few
 * milliseconds, a fifth of a nitroctl call.
 *
 * @example
 * ```ts ignore
 * import { readFrames } from "./framing.ts";
 * const conn = await Deno.connect({ transport: "unix", path: "/run/nitro/nitro.sock" });
 * for await (const frame of readFrames(conn, 16 << 20)) {
 *   if (frame.kind === "line") console.log(frame.text);
 * }
 * ```
 */
export async function* readFrames(
  reader: ByteReader,
  maxBytes: number,
  bufferBytes = 16384,
): AsyncGenerator<Frame> {
  const split = new LineSplitter(maxBytes);
  const buffer = new Uint8Array(bufferBytes);
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) return;
    for (const frame of split.push(buffer.subarray(0, n))) {
      yield frame;
      if (frame.kind === "too-long") return;
    }
  }
}

/**
 * One protocol line: `value` as JSON plus `\n`, as bytes.
 *
 * @example
 * ```ts
 * import { encodeLine } from "./framing.ts";
 * console.assert(encodeLine({ op: "list" }).at(-1) === 0x0a);
 * ```
 */
export function encodeLine(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) + "\n");
}

/**
 * Write all of `bytes` (a socket write may be partial).
 *
 * @example
 * ```ts ignore
 * import { encodeLine, writeAll } from "./framing.ts";
 * const conn = await Deno.connect({ transport: "unix", path: "/run/nitro/nitro.sock" });
 * await writeAll(conn, encodeLine({ id: 1, op: "list" }));
 * ```
 */
export async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await writer.write(bytes.subarray(off));
  }
}
