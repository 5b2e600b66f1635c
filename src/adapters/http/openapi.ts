/**
 * The OpenAPI 3.1 document the service serves at `GET /openapi.json`, and
 * the validators of request bodies compiled from the same schemas, so that
 * what the document promises is what the service checks.
 *
 * The document is kept as a source file (`openapi.json`); the canonical JSON
 * Schemas of `src/schema` (action, receipt, approval request, …) are not
 * copied into it but included when it is served, each under its title in
 * `components.schemas` with its `$id`, which is what the document's
 * references (`https://aarm.dev/schema/v1/…`) resolve to.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsMod from "ajv-formats";
import { allSchemas } from "../../schema/documents.ts";
import { formatErrors } from "../../schema/errors.ts";
import source from "./openapi.json" with { type: "json" };
import { type HttpProblem, problem } from "./problem.ts";

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsMod.default;

/** The OpenAPI document as served: the source file with the canonical schemas included. */
export function openApiDocument(): { readonly [key: string]: unknown } {
  const included = Object.fromEntries(allSchemas.map((schema) => [schema.title, schema]));
  return {
    ...source,
    components: { ...source.components, schemas: { ...source.components.schemas, ...included } },
  };
}

/** The names of the request-body schemas in the document's `components.schemas`. */
export type BodySchema =
  | "StartSession"
  | "EvaluateRequest"
  | "OutcomeRequest"
  | "Empty"
  | "ApproverAnswer"
  | "Facts"
  | "Confirmation";

let validators: ReadonlyMap<BodySchema, ValidateFunction> | null = null;

function compiled(): ReadonlyMap<BodySchema, ValidateFunction> {
  if (validators === null) {
    const ajv = new Ajv2020({
      schemas: [...allSchemas],
      allErrors: true,
      strict: true,
      strictRequired: false,
      discriminator: true,
      verbose: true,
    });
    addFormats(ajv);
    const own: Record<string, { readonly $id: string }> = source.components.schemas;
    for (const schema of Object.values(own)) ajv.addSchema(schema);
    const names: readonly BodySchema[] = [
      "StartSession",
      "EvaluateRequest",
      "OutcomeRequest",
      "Empty",
      "ApproverAnswer",
      "Facts",
      "Confirmation",
    ];
    validators = new Map(
      names.map((name) => {
        const id = own[name]?.$id ?? "";
        const validate = ajv.getSchema(id);
        if (validate === undefined) throw new Error(`openapi.json: no schema ${name}`);
        return [name, validate];
      }),
    );
  }
  return validators;
}

/**
 * Checks a parsed request body against its schema: the body, or a 422
 * problem listing where it fails (by JSON Pointer), without echoing values.
 */
export function checkBody(
  schema: BodySchema,
  body: unknown,
): { readonly ok: true } | { readonly ok: false; readonly problem: HttpProblem } {
  const validate = compiled().get(schema);
  if (validate === undefined) return { ok: false, problem: problem("internal") };
  if (validate(body)) return { ok: true };
  const errors = formatErrors(validate.errors ?? [], new WeakMap())
    .slice(0, 20)
    .map((error) => ({ pointer: error.path, detail: error.message }));
  return { ok: false, problem: problem("invalid_request", "the body does not match its schema", { errors }) };
}
