/**
 * Every scenario of the conformance suite, in protocol order.
 *
 * @module
 */
import type { Scenario } from "../types.ts";
import { ARCHITECTURE } from "./architecture.ts";
import { R1 } from "./r1.ts";
import { R2 } from "./r2.ts";
import { R3 } from "./r3.ts";
import { R4 } from "./r4.ts";
import { R5 } from "./r5.ts";
import { R6 } from "./r6.ts";
import { R7 } from "./r7.ts";
import { R8 } from "./r8.ts";
import { R9 } from "./r9.ts";
import { THREATS } from "./threats.ts";

/** The scenarios, in protocol order. */
export const SCENARIOS: readonly Scenario[] = [
  ...R1,
  ...R2,
  ...R3,
  ...R4,
  ...R5,
  ...R6,
  ...R7,
  ...R8,
  ...R9,
  ...THREATS,
  ...ARCHITECTURE,
];
