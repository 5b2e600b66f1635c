/**
 * Bounded reading of the JSON files identity configuration comes from (key
 * sets, revocation lists). The bound holds even if the file grows between the
 * size check and the read, so a runaway or hostile file cannot exhaust memory
 * (Node only).
 *
 * @module
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { describe, type IdentitySetupResult } from "./fields.ts";

/** The largest configuration file accepted when no bound is given: 1 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 1_048_576;

/** The largest bound a caller may set: 64 MiB. */
export const MAX_FILE_BYTES = 67_108_864;

/** Null when `maxBytes` is a usable bound, else why not. */
export function checkMaxBytes(maxBytes: number): string | null {
  return Number.isSafeInteger(maxBytes) && maxBytes > 0 && maxBytes <= MAX_FILE_BYTES
    ? null
    : `maxBytes must be an integer from 1 to ${MAX_FILE_BYTES}`;
}

/** The parsed JSON of the regular file at `path`, if it is valid UTF-8 JSON of at most `maxBytes` bytes. */
export async function readJsonFile(path: string, maxBytes: number): Promise<IdentitySetupResult<unknown>> {
  let text: string;
  try {
    // Non-blocking, so that a FIFO at the path fails the regular-file check instead of hanging the open.
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { ok: false, error: `${path}: not a regular file` };
      if (stats.size > maxBytes) return { ok: false, error: `${path}: larger than ${maxBytes} bytes` };
      // One byte of headroom detects growth since the stat; the read never exceeds maxBytes + 1.
      const buffer = new Uint8Array(stats.size + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > stats.size) return { ok: false, error: `${path}: changed while being read` };
      }
      text = new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
    } finally {
      await handle.close();
    }
  } catch (caught) {
    return { ok: false, error: `${path}: ${describe(caught)}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (caught) {
    return { ok: false, error: `${path}: not JSON: ${describe(caught)}` };
  }
}
