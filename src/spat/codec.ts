/**
 * SPAT, the datagram protocol of C nitro's control socket: records of a
 * 16-bit little-endian payload length, a one-byte tag and the payload.
 * Two lengths are not lengths: 0xFFFF opens a frame of inner records and
 * 0xFFFE closes it, both carrying the tag of the frame. Pure encoding and
 * decoding; nothing here touches a socket.
 *
 * @module
 */

import { type State, STATES } from "../protocol.ts";

/** The tags C nitro uses; old numbers are never reused. */
export const TAG = {
  ok: 80,
  noSuchService: 81,
  notImplemented: 82,
  service: 100,
  name: 101,
  state: 102,
  pid: 103,
  wstatus: 104,
  uptime: 105,
  nitroPid: 106,
  maxService: 107,
  totalReaps: 108,
  totalSvReaps: 109,
  up: 120,
  down: 121,
  restart: 122,
  info: 123,
  list: 124,
  query: 125,
  rescan: 126,
  shutdown: 127,
  reboot: 128,
  signal: 129,
  ready: 130,
} as const;

/** A command tag: what a request asks of C nitro. */
export type CommandTag =
  | typeof TAG.up
  | typeof TAG.down
  | typeof TAG.restart
  | typeof TAG.info
  | typeof TAG.list
  | typeof TAG.query
  | typeof TAG.rescan
  | typeof TAG.shutdown
  | typeof TAG.reboot
  | typeof TAG.signal
  | typeof TAG.ready;

/** Longest service name C nitro takes in a request. */
export const MAX_NAME_BYTES = 64;

/** Length values that mark a frame's start and end. */
const OPEN = 0xffff;
const CLOSE = 0xfffe;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One request datagram: the command and its payload, the service name
 * (after the signal number, for a signal).
 *
 * @example
 * ```ts
 * import { encodeRequest, TAG } from "./codec.ts";
 * const bytes = encodeRequest(TAG.up, "web");
 * console.assert(bytes.join() === "3,0,120,119,101,98");
 * ```
 */
export function encodeRequest(
  command: CommandTag,
  service = "",
  signal?: number,
): Uint8Array {
  const name = encoder.encode(service);
  const head = signal === undefined ? [] : [signal];
  const length = head.length + name.length;
  const bytes = new Uint8Array(3 + length);
  bytes.set([length & 0xff, length >> 8, command, ...head]);
  bytes.set(name, 3 + head.length);
  return bytes;
}

/** One record of a datagram. */
export type SpatRecord =
  | { kind: "value"; tag: number; payload: Uint8Array }
  | { kind: "open" | "close"; tag: number };

/**
 * The records of a datagram, in order. A record whose payload runs past
 * the end makes the datagram malformed: null.
 *
 * @example
 * ```ts
 * import { records } from "./codec.ts";
 * const r = records(new Uint8Array([0, 0, 80, 1, 0, 3, 97]));
 * console.assert(r?.length === 2 && r[1].tag === 3);
 * console.assert(records(new Uint8Array([9, 0, 80])) === null);
 * ```
 */
export function records(bytes: Uint8Array): SpatRecord[] | null {
  const out: SpatRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 3 > bytes.length) return null;
    const length = bytes[at] | (bytes[at + 1] << 8);
    const tag = bytes[at + 2];
    at += 3;
    if (length === OPEN || length === CLOSE) {
      out.push({ kind: length === OPEN ? "open" : "close", tag });
      continue;
    }
    if (at + length > bytes.length) return null;
    out.push({ kind: "value", tag, payload: bytes.subarray(at, at + length) });
    at += length;
  }
  return out;
}

/** The state a tag stands for (tags 1 to 9 are the states), if any. */
export function stateOfTag(tag: number): State | undefined {
  return tag >= 1 && tag <= STATES.length ? STATES[tag - 1] : undefined;
}

/** One service as C nitro lists or queries it. */
export interface SpatService {
  name: string;
  state: State;
  /** 0 when it has no process. */
  pid: number;
  /** Signed: C nitro sets -1 where no exit of run caused a FATAL. */
  wstatus: number;
  /** Seconds since the service's last start or stop. */
  uptime: number;
}

/** What one datagram from C nitro says, as far as it makes sense. */
export type Reply =
  /** The request was done. */
  | { kind: "ok" }
  /** No such service (or, for a signal, none with a process). */
  | { kind: "no-such-service" }
  /** The command is unknown to this C nitro. */
  | { kind: "not-implemented" }
  /** A service entered a state (a notification). */
  | { kind: "state"; state: State; name: string }
  /** A query's answer: one service's facts (no name). */
  | { kind: "query"; service: Omit<SpatService, "name"> }
  /** A list's answer. */
  | { kind: "list"; services: SpatService[] }
  /** An info's answer: the values by tag, in the order sent. */
  | { kind: "info"; values: [tag: number, value: number][] };

/**
 * Make sense of a datagram, or null for one that makes none (garbage,
 * truncated, or from a sender that does not speak SPAT): such datagrams
 * are ignored, never fatal.
 *
 * @example
 * ```ts
 * import { decodeReply } from "./codec.ts";
 * const r = decodeReply(new Uint8Array([3, 0, 4, 119, 101, 98]));
 * console.assert(r?.kind === "state" && r.state === "UP" && r.name === "web");
 * ```
 */
export function decodeReply(bytes: Uint8Array): Reply | null {
  const list = records(bytes);
  if (list === null || list.length === 0) return null;
  const [first] = list;
  if (first.kind === "open") {
    return first.tag === TAG.service ? decodeList(list) : null;
  }
  if (first.kind !== "value") return null;
  const state = stateOfTag(first.tag);
  if (state !== undefined) {
    if (list.length !== 1 || first.payload.length === 0) return null;
    return { kind: "state", state, name: decoder.decode(first.payload) };
  }
  if (list.length === 1 && first.payload.length === 0) {
    if (first.tag === TAG.ok) return { kind: "ok" };
    if (first.tag === TAG.noSuchService) return { kind: "no-such-service" };
    if (first.tag === TAG.notImplemented) return { kind: "not-implemented" };
  }
  if (first.tag === TAG.state) {
    const fields = serviceFields(list);
    return fields === null ? null : { kind: "query", service: fields };
  }
  if (first.tag === TAG.nitroPid) return decodeInfo(list);
  return null;
}

/** The facts of one service from its records, or null if any is missing. */
function serviceFields(
  list: readonly SpatRecord[],
): Omit<SpatService, "name"> | null {
  let state: State | undefined;
  let pid: number | undefined;
  let wstatus: number | undefined;
  let uptime: number | undefined;
  for (const r of list) {
    if (r.kind !== "value") continue;
    if (r.tag === TAG.state && r.payload.length === 1) {
      state = stateOfTag(r.payload[0]);
    } else if (r.payload.length === 4) {
      const view = new DataView(
        r.payload.buffer,
        r.payload.byteOffset,
        4,
      );
      if (r.tag === TAG.pid) pid = view.getUint32(0, true);
      else if (r.tag === TAG.wstatus) wstatus = view.getInt32(0, true);
      else if (r.tag === TAG.uptime) uptime = view.getUint32(0, true);
    }
  }
  if (state === undefined || pid === undefined) return null;
  return { state, pid, wstatus: wstatus ?? 0, uptime: uptime ?? 0 };
}

/** A list: one frame per service; records outside frames are skipped. */
function decodeList(list: readonly SpatRecord[]): Reply | null {
  const services: SpatService[] = [];
  let inside: SpatRecord[] | null = null;
  for (const r of list) {
    if (r.kind === "open" && r.tag === TAG.service) inside = [];
    else if (r.kind === "close" && r.tag === TAG.service) {
      if (inside === null) continue;
      const name = inside.find((n) => n.kind === "value" && n.tag === TAG.name);
      const fields = serviceFields(inside);
      if (name?.kind !== "value" || fields === null) return null;
      services.push({ name: nameOf(name.payload), ...fields });
      inside = null;
    } else inside?.push(r);
  }
  return { kind: "list", services };
}

/** A name payload: C nitro's list sends it with its terminating NUL. */
function nameOf(payload: Uint8Array): string {
  const end = payload.indexOf(0);
  return decoder.decode(end < 0 ? payload : payload.subarray(0, end));
}

/** An info: 32-bit values by tag. */
function decodeInfo(list: readonly SpatRecord[]): Reply | null {
  const values: [number, number][] = [];
  for (const r of list) {
    if (r.kind !== "value" || r.payload.length !== 4) return null;
    const view = new DataView(r.payload.buffer, r.payload.byteOffset, 4);
    values.push([r.tag, view.getUint32(0, true)]);
  }
  return { kind: "info", values };
}
