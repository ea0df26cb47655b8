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
 *   const [web] = await nitro.start("web");
 *   if (!web.ok) console.error("web ended FATAL");
 * } catch (e) {
 *   if (e instanceof NitroError && e.code === "unreachable") {
 *     console.error(e.message); // cannot reach nitro at /run/nitro/...
 *   } else throw e;
 * }
 * for (const s of await nitro.list()) {
 *   console.log(s.state, s.name, s.pid ?? "-");
 * }
 * ```
 *
 * @module
 */

export {
  type EventsOptions,
  NitroClient,
  NitroError,
  type NitroErrorCode,
  type RequestOptions,
  type ServiceOptions,
  type Services,
  type WaitOptions,
} from "./src/client.ts";
export * from "./src/protocol.ts";
export { socketPath } from "./src/config/socket_path.ts";
