import { expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { sweepCallers } from '../support/sweep-callers.js';

/**
 * Reads the OpenAPI document and sends every route malformed JSON, non-JSON, a 2 MB body,
 * unknown fields, wrong types and out-of-range values: each must answer a 4xx problem+json
 * and write nothing. Routes added later are swept without touching this file.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  items?: JsonSchema;
  $ref?: string;
};
type Operation = {
  parameters?: { in: string; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

describeEachDialect('bad-input sweep', (ctx) => {
  it('answers every route with a 4xx problem for bad input and writes nothing', async () => {
    const callers = await sweepCallers(ctx);
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const before = await fingerprint(ctx);

    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const url = path.replace(/\{[^}]+\}/g, (name) => callers.pathParam(name.slice(1, -1), path));
        const headers = callers.headersFor(path);
        const send = async (label: string, options: { payload?: string | object; query?: Record<string, unknown>; contentType?: string }, expected?: number) => {
          const res = await ctx.app.inject({
            method: method.toUpperCase() as 'POST',
            url,
            query: options.query as Record<string, string> | undefined,
            headers: { ...headers, ...(options.payload !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}) },
            payload: options.payload,
          });
          const where = `${method.toUpperCase()} ${path} (${label}): ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, where).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, where).toBeLessThan(500);
          if (expected) expect(res.statusCode, where).toBe(expected);
          expect(res.headers['content-type'], where).toContain('application/problem+json');
          return res;
        };

        if (BODY_METHODS.has(method)) {
          await send('malformed JSON', { payload: '{"name": ' }, 400);
          await send('not JSON', { payload: 'name=x', contentType: 'application/x-www-form-urlencoded' }, 415);
          await send('2 MB body', { payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }, 413);
        }

        const bodySchema = resolve(doc, operation.requestBody?.content['application/json']?.schema);
        if (bodySchema?.properties) {
          const unknown = await send('unknown field', { payload: { surelyNotAField: 1 } }, 400);
          expect(unknown.json().errors.map((e: { path: string }) => e.path)).toContain('/surelyNotAField');
          for (const [name, schema] of Object.entries(bodySchema.properties)) {
            for (const [label, value] of badValues(resolve(doc, schema))) {
              const res = await send(`${name}: ${label}`, { payload: { [name]: value } }, 400);
              const paths = res.json().errors.map((e: { path: string }) => e.path);
              expect(paths.some((p: string) => p.startsWith(`/${name}`)), `${path} ${name} ${label}: ${paths}`).toBe(true);
            }
          }
        }

        for (const parameter of operation.parameters ?? []) {
          if (parameter.in !== 'query') continue;
          for (const [label, value] of badValues(parameter.schema).filter(([, v]) => typeof v !== 'object')) {
            await send(`query ${parameter.name}: ${label}`, { query: { [parameter.name]: String(value) } }, 400);
          }
        }
      }
    }

    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    expect(await fingerprint(ctx)).toEqual(before);
  });
});

/** Values a field of this schema must refuse. */
function badValues(schema: JsonSchema | undefined): [string, unknown][] {
  if (!schema) return [];
  const types = new Set([schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].flat().filter(Boolean));
  const values: [string, unknown][] = [];
  if (!types.has('object')) values.push(['an object', { nested: true }]);
  if (!types.has('string')) values.push(['a string', 'five']);
  if (!types.has('integer') && !types.has('number') && !types.has('string')) values.push(['a number', 5]);
  if (!types.has('boolean') && !types.has('string')) values.push(['a boolean', true]);
  if (!types.has('array')) values.push(['an array', []]);
  if (typeof schema.minimum === 'number') values.push(['below the minimum', schema.minimum - 1]);
  if (typeof schema.maximum === 'number') values.push(['above the maximum', schema.maximum + 1]);
  if (typeof schema.maxLength === 'number') values.push(['too long', 'x'.repeat(schema.maxLength + 1)]);
  if (typeof schema.minLength === 'number' && schema.minLength > 0) values.push(['too short', '']);
  if (typeof schema.maxItems === 'number') values.push(['too many items', Array.from({ length: schema.maxItems + 1 }, () => null)]);
  return values;
}

function resolve(doc: unknown, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  const parts = schema.$ref.replace(/^#\//, '').split('/');
  return parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc) as JsonSchema;
}

/** Row counts of every table: equal before and after means nothing was written. */
async function fingerprint(ctx: TestContext): Promise<Record<string, number>> {
  const tables = (await ctx.db.kysely.introspection.getTables()).map((t) => t.name).filter((name) => !name.startsWith('kysely_'));
  const counts: Record<string, number> = {};
  for (const table of tables.sort()) {
    const row = await ctx.db.kysely
      .selectFrom(table as 'practices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = row.n;
  }
  return counts;
}
