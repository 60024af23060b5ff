import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  /** As registered, e.g. /agreements/:id/steps */
  path: string;
}

/**
 * Every route the app's router holds, read from `printRoutes()`, so that a route added tomorrow is
 * covered by the tests that use this without anyone listing it. The tree prints one segment a line,
 * indented four columns a level, with the methods in parentheses.
 */
export function routesOf(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  return routes;
}

export const isWrite = ({ method }: RouteEntry) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/** A concrete URL for a route: parameters filled with values that exist. */
export function urlFor(path: string, values: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'x').replace(/\*$/, 'x');
}
