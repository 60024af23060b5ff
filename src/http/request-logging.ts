import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request lines ("incoming request", "request completed"), except that failed
 * authentications write theirs at debug: a client trying tokens would otherwise write two lines
 * per guess at info, thousands a second. The throttle logs one line per address and interval for
 * them instead (see auth-throttle.ts). A route that needs a token is announced by auth, once it
 * knows which kind of request it is.
 */
export class RequestLogController extends LogController {
  private readonly demoted = new WeakSet<FastifyRequest>();

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (request.routeOptions.config?.roles) return;
    super.incomingRequest(request, reply);
  }

  /** The "incoming request" line of a route that needs a token, once auth has let it through. */
  announce(request: FastifyRequest, reply: FastifyReply): void {
    super.incomingRequest(request, reply);
  }

  /** A failed authentication: its lines go out at debug, where only someone debugging sees them. */
  demote(request: FastifyRequest): void {
    this.demoted.add(request);
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.demoted.has(request) || error) return super.requestCompleted(error, request, reply);
    if (!this.isLogDisabled(request)) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
