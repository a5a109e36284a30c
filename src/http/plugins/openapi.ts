import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** The route schemas are the documentation: one OpenAPI 3.1 document generated from them. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tallybook API', version: '1', description: 'Bookings, session packages and the credit ledger.' },
      components: {
        securitySchemes: {
          practitionerCookie: { type: 'apiKey', in: 'cookie', name: 'tb_session' },
          clientCookie: { type: 'apiKey', in: 'cookie', name: 'tb_client' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { url: OPENAPI_PATH } as never });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
