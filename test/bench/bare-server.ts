/**
 * The read path's ceiling: Fastify answering constant JSON, started like the real server (its own
 * process, NODE_ENV=production, logs at info), so the figures' ratio is the cost of Tallybook's own
 * work per request — authentication, SQL, the slot engine, serialization — over the framework's.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/constant', async () => ({ status: 'ok', service: 'tallybook', constant: true }));
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
