import type { FastifyReply } from 'fastify';
import type { Projector } from '../application/projector.js';
import { sendProblem } from './problem.js';

/** How long a read given `minPosition` waits for the read model before answering 503. */
export const MIN_POSITION_WAIT_MS = 2000;

/**
 * Read-your-writes: every write answers with its global position; a read given `?minPosition=N`
 * waits (bounded) until the read model has applied N. False: a 503 with the lag was sent.
 */
export async function caughtUp(projector: Projector<unknown>, minPosition: number | undefined, reply: FastifyReply): Promise<boolean> {
  if (minPosition === undefined || (await projector.waitFor(minPosition, MIN_POSITION_WAIT_MS))) return true;
  const { position, state } = projector.describe();
  reply.header('retry-after', '1');
  sendProblem(reply, {
    status: 503,
    title: 'Service Unavailable',
    code: 'PROJECTION_LAGGING',
    detail: `the ${projector.model.name} read model has applied position ${position}, not yet ${minPosition}`,
    extensions: { position, lag: { events: Math.max(0, minPosition - position) }, state },
  });
  return false;
}
