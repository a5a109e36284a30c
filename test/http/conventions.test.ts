import { expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';

describeEachDialect('HTTP conventions', (ctx) => {
  it('answers /healthz after checking the database', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: ctx.dialect, jobs: { failingSweeps: [], failedJobs: 0 } });
  });

  it('puts a request id on every response, keeping a harmless one the caller sent', async () => {
    const fresh = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42' } });
    expect(kept.headers['x-request-id']).toBe('trace-42');
    const replaced = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3.1 document of every API route, and a docs page showing that document', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');

    // The document lists exactly the routes the app answers under /api/v1 and /healthz (the document itself aside).
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = registeredRoutes(ctx.app.printRoutes({ commonPrefix: false })).filter(
      (route) => /^\w+ (\/api\/v1\/|\/healthz$)/.test(route) && !route.startsWith('HEAD ') && route !== 'GET /api/v1/openapi.json',
    );
    expect(documented.sort()).toEqual(served.sort());
    expect(served.length).toBeGreaterThan(50);

    // Every operation documents its success and its problems.
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        expect(statuses.some((s) => /^2\d\d$/.test(s)), `${method} ${path}: ${statuses}`).toBe(true);
        expect(statuses, `${method} ${path}`).toContain('4XX');
      }
    }
    expect(doc.paths['/healthz']!.get!.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { type: 'object', required: ['status', 'database', 'jobs'], properties: { status: { anyOf: [{ enum: ['ok'] }, { enum: ['degraded'] }] }, database: { type: 'string' } } } } },
    });

    const page = await ctx.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<div id="swagger-ui">');
    expect(page.body).toContain('./static/swagger-initializer.js');
    // The page loads the document from ./json (swagger-initializer.js): the same document.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' })).body).toContain("url: resolveUrl('./json')");
    expect((await ctx.app.inject({ method: 'GET', url: '/api/docs/json' })).json()).toEqual(doc);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: '/problems/not_found', status: 404, code: 'not_found' });
  });

  it('refuses a body over 1 MB with 413 before looking at its type', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/nothing-here',
      headers: { 'content-type': 'text/plain' },
      payload: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large', status: 413 });
  });
});

/** `METHOD /full/path` of every route in Fastify's printRoutes() tree (each line adds to its parent's path). */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    prefixes.length = depth;
    const path = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}
