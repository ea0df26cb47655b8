/**
 * Entry point of the `nitro` daemon: `nitro [DIR]`.
 *
 * @module
 */

import { main } from "../src/daemon/main.ts";

Deno.exit(await main(Deno.args));
