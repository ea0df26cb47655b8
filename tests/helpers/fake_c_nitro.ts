/**
 * An in-process fake of C nitro's datagram control socket, for the tests of
 * src/spat/: binds `DIR/nitro.sock` (and makes `DIR/notify`), records each
 * request it receives and answers with the datagrams a handler returns, to
 * the reply socket that asked. No process is started. (The one of
 * tests/ctl/spat_fake_nitro.ts is a separate program, for nitroctl runs.)
 *
 * @module
 */

import { join } from "node:path";
import { TAG } from "../../src/spat/codec.ts";
import type { State } from "../../src/protocol.ts";
import { STATES } from "../../src/protocol.ts";

type Listen = (
  o: { transport: "unixpacket"; path: string },
) => Deno.DatagramConn;
const listenDatagram = (Deno as unknown as { listenDatagram: Listen })
  .listenDatagram;

/** One request as C nitro reads it. */
export interface FakeRequest {
  command: number;
  service: string;
  /** The signal number of a signal request. */
  signal?: number;
  /** The reply socket it came from. */
  from: string;
}

/** The datagrams to answer a request with, in order. */
export type FakeHandler = (
  request: FakeRequest,
) => Uint8Array[] | Promise<Uint8Array[]>;

/** The fake C nitro. */
export class FakeCNitro implements AsyncDisposable {
  readonly requests: FakeRequest[] = [];
  readonly #conn: Deno.DatagramConn;
  readonly #loop: Promise<void>;
  #senders = 0;

  private constructor(
    readonly dir: string,
    readonly path: string,
    readonly notifyDir: string,
    handler: FakeHandler,
  ) {
    this.#conn = listenDatagram({ transport: "unixpacket", path });
    this.#loop = this.#serve(handler);
  }

  /** Start one in a fresh temporary directory. */
  static start(handler: FakeHandler): FakeCNitro {
    const dir = Deno.makeTempDirSync({ prefix: "fake_c_nitro_" });
    const notifyDir = join(dir, "notify");
    Deno.mkdirSync(notifyDir, { mode: 0o700 });
    return new FakeCNitro(dir, join(dir, "nitro.sock"), notifyDir, handler);
  }

  /**
   * Send `bytes` to the socket at `to` (a notification, a late answer),
   * from a socket of its own: Deno's datagram socket cannot send while it
   * waits to receive.
   */
  async send(to: string, bytes: Uint8Array): Promise<void> {
    const conn = listenDatagram({
      transport: "unixpacket",
      path: join(this.dir, `sender${this.#senders++}`),
    });
    try {
      await conn.send(bytes, { transport: "unixpacket", path: to });
    } finally {
      conn.close();
    }
  }

  /** The entries of the notify directory (reply sockets left), sorted. */
  notifyEntries(): string[] {
    return [...Deno.readDirSync(this.notifyDir)].map((e) => e.name).sort();
  }

  async #serve(handler: FakeHandler): Promise<void> {
    while (true) {
      let bytes: Uint8Array;
      let addr: Deno.Addr;
      try {
        [bytes, addr] = await this.#conn.receive();
      } catch {
        return; // Closed.
      }
      const from = (addr as Deno.UnixAddr).path;
      const command = bytes[2];
      let payload = bytes.subarray(3);
      let signal: number | undefined;
      if (command === TAG.signal) {
        signal = payload[0];
        payload = payload.subarray(1);
      }
      const request: FakeRequest = {
        command,
        service: new TextDecoder().decode(payload),
        from,
        ...(signal === undefined ? {} : { signal }),
      };
      this.requests.push(request);
      for (const reply of await handler(request)) {
        try {
          await this.#conn.send(reply, { transport: "unixpacket", path: from });
        } catch {
          break; // The reply socket is gone.
        }
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#conn.close();
    await this.#loop;
    Deno.removeSync(this.dir, { recursive: true });
  }
}

// --- replies, as C nitro encodes them -----------------------------------------

function record(tag: number, payload: readonly number[]): number[] {
  return [payload.length & 0xff, payload.length >> 8, tag, ...payload];
}

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

const stateNumber = (state: State) => STATES.indexOf(state) + 1;
const bytesOf = (text: string) => [...new TextEncoder().encode(text)];

/** "Done." */
export const ok = (): Uint8Array => new Uint8Array(record(TAG.ok, []));
/** "No such service." */
export const noSuchService = (): Uint8Array =>
  new Uint8Array(record(TAG.noSuchService, []));
/** "Command not implemented." */
export const notImplemented = (): Uint8Array =>
  new Uint8Array(record(TAG.notImplemented, []));

/** A notification: `name` entered `state`. */
export function stateChange(name: string, state: State): Uint8Array {
  return new Uint8Array(record(stateNumber(state), bytesOf(name)));
}

/** One service's facts, as the answer to a query. */
export interface FakeService {
  name: string;
  state: State;
  pid: number;
  wstatus: number;
  uptime: number;
}

function facts(s: Omit<FakeService, "name">): number[] {
  return [
    ...record(TAG.state, [stateNumber(s.state)]),
    ...record(TAG.pid, u32(s.pid)),
    ...record(TAG.wstatus, u32(s.wstatus)),
    ...record(TAG.uptime, u32(s.uptime)),
  ];
}

/** The answer to a query. */
export function queryAnswer(s: Omit<FakeService, "name">): Uint8Array {
  return new Uint8Array(facts(s));
}

/** The answer to a list: one frame per service, names with their NUL. */
export function listAnswer(services: readonly FakeService[]): Uint8Array {
  return new Uint8Array(services.flatMap((s) => [
    0xff,
    0xff,
    TAG.service,
    ...record(TAG.name, [...bytesOf(s.name), 0]),
    ...facts(s),
    0xfe,
    0xff,
    TAG.service,
  ]));
}

/** The answer to an info: 32-bit values by tag, in this order. */
export function infoAnswer(values: readonly [number, number][]): Uint8Array {
  return new Uint8Array(values.flatMap(([tag, v]) => record(tag, u32(v))));
}
