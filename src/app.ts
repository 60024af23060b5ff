import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { EventStore } from './event-store/port.js';
import { registerProblemHandlers } from './http/problem.js';
import { healthRoutes } from './http/routes/health.js';

export interface AppDependencies {
  store: EventStore;
  /** The one pino logger of the process. */
  logger: FastifyBaseLogger;
}

/** Builds the HTTP application. It never listens: server.ts does, tests use `app.inject`. */
export async function buildApp({ store, logger }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    requestIdHeader: 'x-request-id',
    bodyLimit: 1024 * 1024,
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerProblemHandlers(app);
  await app.register(healthRoutes(store));
  return app;
}
