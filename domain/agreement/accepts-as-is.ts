import type { z } from 'zod';

type AsIsCheck = (value: unknown) => boolean;

interface Definition {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  checks?: Array<{ _zod: { def: { check: string; minimum?: number; maximum?: number } } }>;
}

const definitionOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Definition } })._zod.def;

/** Leaves whose verdict depends on their value alone: zod's own parse decides, once per value. */
const LEAVES = new Set(['string', 'number', 'boolean', 'enum', 'literal']);
/** Verdicts kept per leaf: the dates, places and sources of a log repeat; a leaf forgets them all when full. */
const KEPT_VERDICTS = 10_000;

const compiled = new WeakMap<z.ZodType, AsIsCheck | undefined>();

/**
 * A quick check of stored data, derived from its zod schema: objects, optionals and arrays are
 * walked here, each leaf is parsed by zod and its verdict kept for the same value. Anything it does
 * not say yes to (invalid data, data zod would trim or fill in) is left to zod, so the outcome is
 * always zod's. Undefined for a schema with a part it cannot walk (a transform, a union, an object
 * that keeps unknown keys): that schema is always parsed by zod.
 */
export function acceptsAsIs<T>(schema: z.ZodType<T>): ((value: unknown) => value is T) | undefined {
  let check = compiled.get(schema);
  if (check === undefined && !compiled.has(schema)) compiled.set(schema, (check = compile(schema)));
  // What zod accepts and gives back unchanged is its output as it is.
  return check as ((value: unknown) => value is T) | undefined;
}

function compile(schema: z.ZodType): AsIsCheck | undefined {
  const definition = definitionOf(schema);
  if (LEAVES.has(definition.type)) return leaf(schema);
  if (definition.type === 'optional' || definition.type === 'nullable' || definition.type === 'default') {
    const inner = compile(definition.innerType!);
    if (!inner) return undefined;
    if (definition.type === 'optional') return (value) => value === undefined || inner(value);
    if (definition.type === 'nullable') return (value) => value === null || inner(value);
    // A default fills in what is missing: missing data is then not given back as it is.
    return inner;
  }
  if (definition.type === 'array') return array(definition);
  if (definition.type === 'object') return object(schema, definition);
  return undefined;
}

function leaf(schema: z.ZodType): AsIsCheck {
  const verdicts = new Map<unknown, boolean>();
  return (value) => {
    if (typeof value === 'object' && value !== null) return false;
    let verdict = verdicts.get(value);
    if (verdict === undefined) {
      const parsed = schema.safeParse(value);
      verdict = parsed.success && parsed.data === value;
      if (verdicts.size >= KEPT_VERDICTS) verdicts.clear();
      verdicts.set(value, verdict);
    }
    return verdict;
  };
}

function array(definition: Definition): AsIsCheck | undefined {
  const element = compile(definition.element!);
  let minimum = 0;
  let maximum = Infinity;
  for (const { _zod } of definition.checks ?? []) {
    if (_zod.def.check === 'min_length' && _zod.def.minimum !== undefined) minimum = _zod.def.minimum;
    else if (_zod.def.check === 'max_length' && _zod.def.maximum !== undefined) maximum = _zod.def.maximum;
    else return undefined;
  }
  if (!element) return undefined;
  return (value) => Array.isArray(value) && value.length >= minimum && value.length <= maximum && value.every(element);
}

function object(schema: z.ZodType, definition: Definition): AsIsCheck | undefined {
  // Unknown keys kept or stripped are zod's to judge.
  if (definition.catchall !== undefined && definitionOf(definition.catchall).type !== 'never') return undefined;
  const fields = new Map<string, AsIsCheck>();
  const required: string[] = [];
  for (const [key, field] of Object.entries(definition.shape!)) {
    const check = compile(field);
    if (!check) return undefined;
    fields.set(key, check);
    if (definitionOf(field).type !== 'optional') required.push(key);
  }
  const fieldsAsIs: AsIsCheck = (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    // The keys present, not every key the schema knows: a step carries a few of its dozen facts.
    for (const key in value) {
      const check = fields.get(key);
      if (check === undefined || !check((value as Record<string, unknown>)[key])) return false;
    }
    for (const key of required) if (!Object.hasOwn(value, key)) return false;
    return true;
  };
  // With every field as it is, only a refinement of the whole object (a correction changes something) can still refuse it.
  return definition.checks?.length ? (value) => fieldsAsIs(value) && schema.safeParse(value).success : fieldsAsIs;
}
