import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../deps.js';

/**
 * The web app (React SPA built by Vite into web/dist), served by the same server.
 * Hashed assets are cached for a year; every SPA path answers index.html, which is never cached.
 * Paths under /api/ that no route knows stay a problem+json 404.
 */
export const webRoutes: FastifyPluginAsync<{ deps: AppDeps; distDir?: string }> = async (app, options) => {
  const distDir = options.distDir ?? findWebDist();
  const built = fs.existsSync(path.join(distDir, 'index.html'));

  if (built) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      // One route per built file: no catch-all that would swallow unknown /api/ paths.
      wildcard: false,
      index: false,
      setHeaders: (reply, filePath) => {
        const immutable = filePath.startsWith(path.join(distDir, 'assets') + path.sep);
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        reply.header('x-content-type-options', 'nosniff');
      },
    });
  }

  const serveApp = async (request: FastifyRequest, reply: FastifyReply) => {
    const firstSegment = (request.url.split('?')[0]!.split('/')[1] ?? '').toLowerCase();
    if (NEVER_SPA.has(firstSegment) || (firstSegment !== '' && !SEGMENT_PATTERN.test(firstSegment))) {
      return reply.callNotFound();
    }
    if (!built) return sendNotBuilt(reply);
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .sendFile('index.html', distDir);
  };

  for (const url of SPA_PATHS) app.get(url, { schema: { hide: true } }, serveApp);
  // Built, a missing asset is a plain 404; not built, every asset says what to run.
  if (!built) app.get('/assets/*', { schema: { hide: true } }, (_request, reply) => sendNotBuilt(reply));
};

function sendNotBuilt(reply: FastifyReply) {
  return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
}

/** The SPA loads only its own files and talks only to its own API; style attributes draw the balance bar. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** The paths the SPA's router knows (web/src/router.tsx). */
const SPA_PATHS = ['/', '/app', '/app/*', '/login', '/signup', '/setup', '/reset-password', '/:slug', '/:slug/me', '/:slug/*'];
/** First path segments that are never a practice's page: a miss there is a real 404. */
const NEVER_SPA = new Set(['api', 'assets', 'healthz', 'dev']);
const SEGMENT_PATTERN = /^[a-z0-9-]{1,64}$/i;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tallybook — web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload this page.</p>
<p>The API is up: <a href="/api/docs">/api/docs</a>.</p>
</body></html>
`;

/** web/dist from src/http/routes (tests, tsx) or from dist/src/http/routes (npm start). */
function findWebDist(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../../web/dist'), path.resolve(here, '../../../../web/dist')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}
