// Validators are compiled lazily, once each, in one shared Ajv instance: the
// first call pays for compilation and every later call reuses it.
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect, it, vi } from "vitest";
import * as fixtures from "./fixtures.ts";

it("compiles nothing on import, then each validator exactly once", async () => {
  const compile = vi.spyOn(Ajv2020.prototype, "compile");
  const schema = await import("../../src/schema/index.ts");
  expect(compile).not.toHaveBeenCalled();

  for (let i = 0; i < 3; i++) {
    expect(schema.validateAction(fixtures.actions[0]).ok).toBe(true);
    expect(schema.validateAction({}).ok).toBe(false);
  }
  expect(compile).toHaveBeenCalledTimes(1);
  expect(compile).toHaveBeenLastCalledWith(schema.actionSchema);
  const actionValidator = compile.mock.results[0]?.value;

  for (let i = 0; i < 3; i++) expect(schema.validateReceipt(fixtures.receipts[0]).ok).toBe(true);
  expect(compile).toHaveBeenCalledTimes(2);
  expect(compile).toHaveBeenLastCalledWith(schema.receiptSchema);

  // Both came from the same instance, which already held every document (the receipt refers to others).
  const instances = new Set(compile.mock.contexts);
  expect(instances.size).toBe(1);
  expect(actionValidator).toBeTypeOf("function");
  compile.mockRestore();
});
