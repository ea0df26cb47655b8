/**
 * A one-shot copy of nitro's event history, for `blame` and `plot`.
 *
 * `events --replay` streams the history and then follows forever, with no
 * mark where the history ends. So this asks, on one connection, for
 * `events --replay` and then for `info`: the daemon answers the requests of
 * a connection in order and writes the whole history at once, so the `info`
 * answer arrives right after the last replayed event and ends the snapshot.
 * It also brings the boot time and the daemon's clock.
 *
 * @module
 */

import { osMessage } from "../errors.ts";
import { NitroError } from "../client.ts";
import { encodeLine, readFrames, writeAll } from "../framing.ts";
import {
  type DaemonInfo,
  parseServerLine,
  type ServiceEvent,
} from "../protocol.ts";

/** Longest line accepted from the daemon (as the client's). */
const MAX_LINE_BYTES = 16 << 20;

/** nitro's history and clock at one moment. */
export interface HistorySnapshot {
  /** The retained events, oldest first. */
  events: ServiceEvent[];
  /**
   * When the current boot began (ms, the events' clock): `info.boot`, or,
   * from a daemon that does not tell, the first event's time.
   */
  boot: number;
  /** The daemon's clock when the snapshot was taken (ms). */
  now: number;
}

/**
 * Take a snapshot of the event history of the nitro listening at `path`.
 *
 * @throws {NitroError} `unreachable`, `disconnected` or `protocol` when
 *   nitro cannot be talked to; the daemon's own error when it refuses.
 *
 * @example
 * ```ts ignore
 * import { historySnapshot } from "./history_snapshot.ts";
 * const { events, boot } = await historySnapshot("/run/nitro/nitro.sock");
 * ```
 */
export async function historySnapshot(path: string): Promise<HistorySnapshot> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (error) {
    throw new NitroError(
      "unreachable",
      `cannot reach nitro at ${path}: ${osMessage(error)}`,
      { cause: error },
    );
  }
  try {
    const request = new Uint8Array([
      ...encodeLine({ id: 1, op: "events", replay: true }),
      ...encodeLine({ id: 2, op: "info" }),
    ]);
    await writeAll(conn, request);
    const events: ServiceEvent[] = [];
    for await (const frame of readFrames(conn, MAX_LINE_BYTES)) {
      if (frame.kind === "too-long") {
        throw new NitroError("protocol", "nitro sent an overlong line");
      }
      const parsed = parseServerLine(frame.text);
      if (!parsed.ok) {
        // Only `boot` and `uptime` of the info are needed: a daemon whose
        // info lacks other (or these) fields still gives a snapshot.
        const info = looseInfo(frame.text);
        if (info !== null) return snapshot(events, info);
        throw new NitroError(
          "protocol",
          `nitro sent a malformed line (${parsed.problem}): ${frame.text}`,
        );
      }
      const line = parsed.line;
      if ("event" in line) {
        if (line.id === 1) events.push(line.event);
      } else if (!line.ok) {
        const { code, message, service } = line.error;
        throw new NitroError(code, message, { service });
      } else if (line.id === 2 && line.info) {
        return snapshot(events, line.info);
      }
    }
    throw new NitroError(
      "disconnected",
      `nitro at ${path} closed the connection before sending its history`,
    );
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** The snapshot from the events and the `info` answer that followed them. */
export function snapshot(
  events: ServiceEvent[],
  info: Partial<DaemonInfo>,
): HistorySnapshot {
  const boot = typeof info.boot === "number" ? info.boot : events[0]?.time ?? 0;
  const last = events.at(-1)?.time ?? boot;
  const now = typeof info.uptime === "number" ? info.uptime : last;
  return { events, boot, now: Math.max(now, last) };
}

/** The `info` of an answer to the `info` request (id 2), checked loosely. */
function looseInfo(text: string): Partial<DaemonInfo> | null {
  try {
    const value = JSON.parse(text);
    const info = value?.id === 2 && value.ok === true ? value.info : null;
    return typeof info === "object" && info !== null && !Array.isArray(info)
      ? info
      : null;
  } catch {
    return null;
  }
}
