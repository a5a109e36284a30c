import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../deps.js';
import { registerProblemDetails, sendProblem } from './plugins/problem-details.js';
import { registerOpenApi } from './plugins/openapi.js';
import { validatorCompiler } from './validation.js';
import { serializeRequest } from './log-redaction.js';
import cookie from '@fastify/cookie';
import { createMailDelivery, type MailDelivery } from '../mail/delivery.js';
import { choosePaymentProvider, stripeProvider, type PaymentProvider } from '../payments/provider.js';
import { createStripeGateway } from '../payments/stripe.js';
import { createJobRunner, type JobRunner } from '../jobs/runner.js';
import { healthRoutes } from './routes/health.js';
import { publicRoutes } from './routes/public/public.js';
import { meRoutes } from './routes/client/me.js';
import { clientRoutes } from './routes/practitioner/clients.js';
import { bookingRoutes } from './routes/practitioner/bookings.js';
import { calendarRoutes } from './routes/calendars.js';
import { devRoutes } from './routes/dev.js';
import { accountRoutes, sessionRoutes } from './routes/practitioner/accounts.js';
import { catalogRoutes } from './routes/practitioner/catalog.js';
import { webRoutes } from './routes/web.js';
import { webhookRoutes } from './routes/webhooks.js';
import { paymentRoutes } from './routes/practitioner/payments.js';
import { memberRoutes } from './routes/practitioner/members.js';

export const BODY_LIMIT_BYTES = 1_048_576;
const REQUEST_ID_PATTERN = /^[\w.:-]{1,100}$/;

export type App = FastifyInstance;


declare module 'fastify' {
  interface FastifyInstance {
    /** What the app was built with; tests reach the mail delivery and clock through it. */
    deps: AppDeps;
    jobs: JobRunner;
  }
}

/** Builds the HTTP application; never listens (server.ts does, tests use inject). */
export async function buildApp(
  options: Omit<AppDeps, 'mail' | 'payments'> & {
    mail?: MailDelivery;
    payments?: PaymentProvider | null;
    /** Where log lines go (default stdout); tests read them from here. */
    logStream?: { write(line: string): void };
  },
) {
  const { logStream, ...input } = options;
  const { config } = input;
  const app = Fastify({
    // Secrets travel in some URLs (the calendar feed, a reset link): the request serializer redacts them.
    logger: { level: config.logLevel, serializers: { req: serializeRequest }, ...(logStream ? { stream: logStream } : {}) },
    bodyLimit: BODY_LIMIT_BYTES,
    // A hop count is valid at run time though Fastify's types omit it.
    trustProxy: (config.trustProxy ?? false) as boolean,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const deps: AppDeps = {
    ...input,
    payments: input.payments !== undefined ? input.payments : choosePaymentProvider({ devTools: config.devTools, stripe: config.stripe ? stripeProvider(await createStripeGateway(config.stripe)) : null }),
    mail: input.mail ?? createMailDelivery({ db: input.db, clock: input.clock, smtpUrl: config.smtpUrl, from: config.mailFrom, log: app.log }),
  };
  app.decorate('deps', deps);
  app.decorateRequest('caller', null);
  const jobs = createJobRunner(deps);
  app.decorate('jobs', jobs);
  if (config.runJobs) app.addHook('onReady', async () => jobs.start());
  app.addHook('onClose', async () => {
    await jobs.stop();
    await deps.mail.close();
  });
  await app.register(cookie);

  app.setValidatorCompiler(validatorCompiler);
  registerProblemDetails(app);
  registerJsonParsing(app);

  app.addHook('onRequest', async (request, reply) => {
    // A client-supplied id is kept only if harmless, so it can be traced through our logs.
    if (!REQUEST_ID_PATTERN.test(request.id)) request.id = randomUUID();
    reply.header('x-request-id', request.id);
    // Refuse an oversized body before looking at its type: 413 comes before 415 (API.md).
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > BODY_LIMIT_BYTES) return sendProblem(reply, 'payload_too_large', `body over ${BODY_LIMIT_BYTES} bytes`);
  });

  await registerOpenApi(app);
  await app.register(healthRoutes, { deps });
  await app.register(
    async (api) => {
      await api.register(accountRoutes, { deps });
      await api.register(sessionRoutes, { deps });
      await api.register(catalogRoutes, { deps });
      await api.register(publicRoutes, { deps });
      await api.register(meRoutes, { deps });
      await api.register(clientRoutes, { deps });
      await api.register(bookingRoutes, { deps });
      await api.register(calendarRoutes, { deps });
      await api.register(paymentRoutes, { deps });
      await api.register(memberRoutes, { deps });
      // Without Stripe there is no webhook (404), as there is no outbox without dev tools.
      if (deps.payments?.name === 'stripe') await api.register(webhookRoutes, { deps, gateway: deps.payments.gateway });
      if (config.devTools !== false) await api.register(devRoutes, { deps });
    },
    { prefix: '/api/v1' },
  );
  await app.register(webRoutes, { deps });
  return app;
}

/** JSON only (and JSON Merge Patch); an empty body is "no body", anything else is 415. */
function registerJsonParsing(app: App): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json', 'application/problem+json'],
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        const error = Object.assign(new Error('body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
        done(error, undefined);
      }
    },
  );
}
