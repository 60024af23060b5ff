import type { LoggerOptions } from 'pino';

const REDACTED = '[redacted]';

/**
 * The logger options the server (and the tests' app) use, so that no secret reaches a log line:
 * headers that carry credentials are censored wherever a line holds them, and a request's URL keeps
 * the values of only the query parameters its route declares. An allow-list, not a list of secret
 * names: a token sent as `?access_token=`, `?key=` or a bare `?s3cret` is a name nobody listed.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.headers.authorization', '*.headers.cookie', '*.secret', '*.API_TOKENS'],
      censor: REDACTED,
    },
    serializers: { req: requestForLog },
  };
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remoteAddress?: string; remotePort?: number };
  routeOptions?: { schema?: { querystring?: unknown } };
}

/** What Fastify's own serializer logs of a request, with the query string redacted. */
function requestForLog(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactQuery(request.url, declaredNames(request.routeOptions?.schema?.querystring)) : undefined,
    host: request.host ?? request.headers?.host,
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
    remotePort: request.socket?.remotePort,
  };
}

const namesBySchema = new WeakMap<object, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set();

/** The parameter names a route's querystring schema declares (a zod object, or JSON Schema). */
function declaredNames(schema: unknown): ReadonlySet<string> {
  if (typeof schema !== 'object' || schema === null) return NONE;
  let names = namesBySchema.get(schema);
  if (!names) {
    const shape = (schema as { shape?: unknown }).shape ?? (schema as { properties?: unknown }).properties;
    names = new Set(typeof shape === 'object' && shape !== null ? Object.keys(shape) : []);
    namesBySchema.set(schema, names);
  }
  return names;
}

/** `url` with every query parameter whose name is not in `allowed` replaced, name and value, by [redacted]. */
export function redactQuery(url: string, allowed: ReadonlySet<string>): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const pairs = url
    .slice(start + 1)
    .split('&')
    .map((pair) => (pair === '' || allowed.has(nameOf(pair)) ? pair : REDACTED));
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}

function nameOf(pair: string): string {
  const end = pair.indexOf('=');
  const raw = end < 0 ? pair : pair.slice(0, end);
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return '';
  }
}
