import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS: under ESM its function is the `default` of the module object.
const addFormats = addFormatsModule.default;

const shared: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };

/** Bodies are JSON and keep their types: "5" is not a number. */
const bodyAjv = addFormats(new Ajv({ ...shared, coerceTypes: false }));
/** Query strings and path params arrive as text: "50" may be the number 50. */
const textAjv = addFormats(new Ajv({ ...shared, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return textAjv.compile(schema as object) as ReturnType<FastifySchemaCompiler<FastifySchema>>;
  const validate = bodyAjv.compile(schema as object);
  // A POST without a body is an empty object: `cancel` with no reason needs none, and a route
  // with required fields still reports each one missing.
  return ((data: unknown) => {
    const valid = validate(data ?? {});
    return valid ? { value: data ?? {} } : { error: validationError(validate.errors) };
  }) as ReturnType<FastifySchemaCompiler<FastifySchema>>;
};

function validationError(errors: ErrorObject[] | null | undefined): Error {
  return Object.assign(new Error('body validation failed'), { validation: errors ?? [], validationContext: 'body' });
}
