import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/deps.js';
import { registerProblemDetails } from '../../src/http/plugins/problem-details.js';
import { webRoutes } from '../../src/http/routes/web.js';

/** The web plugin on its own, over a stand-in web/dist: SPA paths, assets, API misses, no build. */

const INDEX = '<!doctype html><title>Tallybook</title><div id="root"></div>';

async function appWith(distDir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerProblemDetails(app);
  app.get('/api/v1/known', async () => ({ ok: true }));
  await app.register(webRoutes, { deps: {} as AppDeps, distDir });
  await app.ready();
  return app;
}

describe('serving the web app', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-web-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await appWith(dir);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/', '/app', '/app/clients/c_1', '/app/settings', '/app/team', '/app/invitation?token=x', '/login', '/signup', '/setup', '/reset-password?token=x', '/dana-moss', '/dana-moss/me', '/dana-moss/book/anything'])(
    'answers index.html, never cached, for the SPA path %s',
    async (url) => {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.body).toBe(INDEX);
    },
  );

  it('serves hashed assets for a year and other files unchanged', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it.each(['/api', '/api/', '/api/v1/nope', '/api/v2/anything', '/assets/missing.js', '/healthz/extra', '/no.such.file'])('keeps %s a problem+json 404', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('leaves the API routes alone', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/known' });
    expect(res.json()).toEqual({ ok: true });
  });

  it('does not answer writes to SPA paths', async () => {
    const res = await app.inject({ method: 'POST', url: '/dana-moss', payload: {} });
    expect(res.statusCode).toBe(404);
  });

  it('says to run npm run build when web/dist is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-noweb-'));
    const bare = await appWith(path.join(empty, 'dist'));
    try {
      for (const url of ['/', '/app', '/dana-moss', '/assets/index-abc123.js']) {
        const res = await bare.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(503);
        expect(res.headers['content-type']).toContain('text/html');
        expect(res.body).toContain('npm run build');
      }
      const api = await bare.inject({ method: 'GET', url: '/api/v1/nope' });
      expect(api.statusCode).toBe(404);
      expect(api.headers['content-type']).toContain('application/problem+json');
    } finally {
      await bare.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
