/**
 * Validators for the runtime's own documents (context-log entries, approver
 * responses), which are built from pieces of the canonical schemas.
 *
 * One Ajv instance holds every canonical schema, so runtime schemas can
 * `$ref` them by `$id`; each validator is compiled on first use and reused.
 * Validation never throws.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsMod from "ajv-formats";
import { allSchemas } from "../../schema/documents.ts";
import { type ConditionNotes, conditionNotes, formatErrors } from "../../schema/errors.ts";
import type { Validation } from "../../schema/validate.ts";

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsMod.default;

let shared: Ajv2020 | null = null;

function engine(): Ajv2020 {
  if (shared === null) {
    // The same settings as the canonical validators (src/schema/validate.ts), so errors read alike.
    const ajv = new Ajv2020({
      schemas: [...allSchemas],
      allErrors: true,
      strict: true,
      strictRequired: false,
      discriminator: true,
      verbose: true,
    });
    addFormats(ajv);
    shared = ajv;
  }
  return shared;
}

/** A validator for `schema` (which may `$ref` the canonical schemas), compiled on its first call. */
export function compileValidator<T>(schema: object): (value: unknown) => Validation<T> {
  let compiled: { readonly validate: ValidateFunction<T>; readonly notes: ConditionNotes } | null = null;
  return (value) => {
    compiled ??= { validate: engine().compile<T>(schema), notes: conditionNotes([...allSchemas, schema]) };
    if (compiled.validate(value)) return { ok: true, value };
    return { ok: false, errors: formatErrors(compiled.validate.errors ?? [], compiled.notes) };
  };
}
