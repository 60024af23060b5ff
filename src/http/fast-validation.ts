import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';

type Check = (value: string) => boolean;

interface ZodDefinition {
  type?: string;
  shape?: Record<string, { _zod?: { def?: ZodDefinition } }>;
  catchall?: { _zod?: { def?: ZodDefinition } };
  checks?: Array<{ _zod?: { def?: ZodCheckDefinition } }>;
}

interface ZodCheckDefinition {
  check?: string;
  format?: string;
  maximum?: number;
  minimum?: number;
  pattern?: RegExp;
}

/**
 * fastify-type-provider-zod's validator compiler, with a shortcut for the schema of most paths:
 * an object of plain strings bounded in length and matched by a pattern (`{ id: AgreementId }`).
 * Parsing every GET's id through zod makes a dozen objects per request. Input the shortcut accepts is exactly input zod accepts unchanged (same keys, every
 * check passed), so it is returned as it is; anything else, every invalid input included, goes to
 * zod, so refusals keep zod's own messages. A schema with anything more (optional or other-typed
 * fields, transforms, refinements, unknown checks) never takes the shortcut.
 */
export const fastValidatorCompiler: FastifySchemaCompiler<FastifySchema> = (route) => {
  const viaZod = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
  const accepts = plainStringObject(route.schema);
  if (!accepts) return viaZod;
  return (data: unknown) => (accepts(data) ? { value: data } : viaZod(data));
};

/** A predicate for schemas the shortcut understands, undefined for every other schema. */
export function plainStringObject(schema: unknown): ((data: unknown) => boolean) | undefined {
  const def = (schema as { _zod?: { def?: ZodDefinition } } | undefined)?._zod?.def;
  if (def?.type !== 'object' || !def.shape || !only(def, OBJECT_KEYS)) return undefined;
  // Strict objects (catchall never) and plain ones: without extra keys both give the input back unchanged.
  if (def.catchall !== undefined && def.catchall._zod?.def?.type !== 'never') return undefined;
  const fields: Array<[string, Check[]]> = [];
  for (const [key, field] of Object.entries(def.shape)) {
    const checks = stringChecks(field._zod?.def);
    if (!checks) return undefined;
    fields.push([key, checks]);
  }
  return (data) => {
    if (typeof data !== 'object' || data === null) return false;
    let keys = 0;
    for (const key in data) {
      if (!Object.hasOwn(data, key)) return false;
      keys++;
    }
    if (keys !== fields.length) return false;
    for (const [key, checks] of fields) {
      const value = (data as Record<string, unknown>)[key];
      if (typeof value !== 'string') return false;
      for (const check of checks) if (!check(value)) return false;
    }
    return true;
  };
}

/** What a plain object or string schema's definition may hold; `error` only shapes messages, which zod writes. */
const OBJECT_KEYS = new Set(['type', 'shape', 'catchall', 'error']);
const STRING_KEYS = new Set(['type', 'checks', 'error']);

/** Nothing in the definition beyond `allowed`: a format type such as z.email() carries `format` and `pattern`. */
function only(def: object, allowed: ReadonlySet<string>): boolean {
  return Object.keys(def).every((key) => allowed.has(key));
}

function stringChecks(def: ZodDefinition | undefined): Check[] | undefined {
  if (def?.type !== 'string' || !only(def, STRING_KEYS)) return undefined;
  const checks: Check[] = [];
  for (const entry of def.checks ?? []) {
    const check = entry._zod?.def;
    if (check?.check === 'max_length' && typeof check.maximum === 'number') {
      const maximum = check.maximum;
      checks.push((value) => value.length <= maximum);
    } else if (check?.check === 'min_length' && typeof check.minimum === 'number') {
      const minimum = check.minimum;
      checks.push((value) => value.length >= minimum);
    } else if (check?.check === 'string_format' && check.format === 'regex' && check.pattern instanceof RegExp && !check.pattern.global && !check.pattern.sticky) {
      const pattern = check.pattern;
      checks.push((value) => pattern.test(value));
    } else {
      return undefined;
    }
  }
  return checks;
}
