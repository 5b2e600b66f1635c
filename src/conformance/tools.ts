/**
 * The tools scenarios call: mocks that record every run with its arguments
 * (AARM's "no side effect" means zero recorded runs), return a configured
 * output, or throw as told.
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";
import type { Setup } from "./types.ts";

/** Recording mock tools for one instance. */
export class MockTools {
  readonly executions: { readonly tool: string; readonly args: { readonly [name: string]: Json } }[] = [];
  readonly #setup: Setup;

  constructor(setup: Setup) {
    this.#setup = setup;
  }

  /** Runs `tool`: records the run, then returns its output or throws its failure. */
  run(tool: string, args: { readonly [name: string]: Json }): string {
    this.executions.push({ tool, args });
    const failure = this.#setup.failing?.[tool];
    if (failure !== undefined) throw new Error(failure);
    return this.#setup.outputs?.[tool] ?? "ok";
  }
}
