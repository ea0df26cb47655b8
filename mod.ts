/**
 * Control a running nitro from TypeScript: the same requests `nitroctl`
 * makes, as a typed client over nitro's Unix control socket.
 *
 * @example Bring a service up, wait for it, and show every service
 * ```ts ignore
 * import { NitroClient, NitroError } from "@nitro/deno";
 *
 * using nitro = await NitroClient.connect(); // $NITRO_SOCK or the default
 * try {
 *   await nitro.start("web"); // resolves once web is UP
 * } catch (e) {
 *   if (!(e instanceof NitroError)) throw e;
 *   // e.code: "failed" (web ended FATAL), "no-such-service",
 *   // "unreachable" (nothing listens at the socket), "permission", …
 *   console.error(e.message);
 * }
 * for (const s of await nitro.list()) {
 *   console.log(s.state, s.name, s.pid ?? "-");
 * }
 * ```
 *
 * A script using this module needs these Deno permissions (scope them to
 * the socket it talks to): `--allow-env=NITRO_SOCK` to read `$NITRO_SOCK`
 * (and `--allow-read=/etc/nitro.sock` if it may be unset), and for the socket
 * itself `--allow-read=SOCK --allow-write=SOCK --allow-net=unix:SOCK`.
 * Without them, {@link NitroClient.connect} throws a {@link NitroError} of
 * code `permission` naming the flag; it never falls back to another path.
 *
 * The same client controls a C nitro: {@link NitroClient.connect} finds a
 * datagram socket there and speaks C nitro's protocol (`nitro.server` is
 * then `"c"`; what C nitro does not tell is `null`). Each request binds a
 * reply socket in the `notify` directory beside the socket, so such a
 * script also needs `--unstable-net` (Deno 2.9 keeps datagram sockets behind
 * it), `--allow-read` and `--allow-write` of that directory, and an
 * unscoped `--allow-net` (reply socket names carry the pid):
 *
 * ```sh
 * deno run --unstable-net --allow-env=NITRO_SOCK --allow-net \
 *   --allow-read=/run/nitro/nitro.sock,/run/nitro/notify \
 *   --allow-write=/run/nitro/nitro.sock,/run/nitro/notify script.ts
 * ```
 *
 * @module
 */

export {
  type EventsOptions,
  NitroClient,
  NitroError,
  type NitroErrorCode,
  type NitroErrorOptions,
  type Outgoing,
  type OutgoingOf,
  type RequestOptions,
  type SendOptions,
  type Server,
  type ServiceOptions,
  type Services,
  type WaitOptions,
} from "./src/client.ts";
// What a client reads and sends; the daemon's side (parseRequest) is not
// part of the API.
export {
  type AnyOkResponse,
  type DaemonInfo,
  ERROR_CODES,
  type ErrorCode,
  type ErrorResponse,
  type EventLine,
  MAX_REQUEST_BYTES,
  type OkResponse,
  type Op,
  OPS,
  PROTOCOL_VERSION,
  type Request,
  type RequestOf,
  type ServiceDetail,
  type ServiceError,
  type ServiceEvent,
  type ServiceRef,
  type ServiceResult,
  type ServiceStatus,
  type SignalName,
  SIGNALS,
  type State,
  STATES,
  WAIT_TARGETS,
  type WaitTarget,
} from "./src/protocol.ts";
export { socketPath } from "./src/config/socket_path.ts";
