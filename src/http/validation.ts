import { Ajv, type Options } from 'ajv';
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
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<FastifySchema>>;
};
