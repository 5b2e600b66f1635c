/**
 * The backstop of AARM scenario 100: a tool that refuses to run unless the
 * policy released the call it runs for. Where {@link assertGuarded} finds an
 * unguarded tool in a tool set, the backstop catches one reached by a path
 * nobody instrumented (another module importing the function directly).
 *
 * A released call runs inside an async context naming its tool; a backstop
 * checks that context when called, across `await`s and callbacks.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ReleasedCall } from "./enforce.ts";
import { AarmUnguardedError } from "./errors.ts";

const released = new AsyncLocalStorage<ReleasedCall>();

/** Runs `run` as the execution of `call`, which the policy released. */
export function runReleased<R>(call: ReleasedCall, run: () => R): R {
  return released.run(call, run);
}

/**
 * Wraps `fn`, the implementation of the policy's tool `tool`, so that it
 * runs only as the execution of a released call of that tool (through
 * `guard` or an adapter); called any other way it throws
 * {@link AarmUnguardedError} and does nothing.
 */
export function backstop<A extends unknown[], R>(tool: string, fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    if (released.getStore()?.tool !== tool) throw new AarmUnguardedError([tool]);
    return fn(...args);
  };
}
