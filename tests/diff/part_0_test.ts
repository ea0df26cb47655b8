/**
 * The differential suite, part 1 of 3 (see scenarios.ts).
 *
 * @module
 */

import { registerPart } from "./scenarios.ts";

registerPart(0);
