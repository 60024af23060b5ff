import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainStringObject } from '../../src/http/fast-validation.js';
import { AgreementParams } from '../../src/http/schemas/agreements.js';
import { startApp } from './fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

const Slug = z.strictObject({ id: z.string().min(1).max(120).regex(/^[a-z]+$/) });

/**
 * What the shortcut promises: it says yes exactly when zod would give the input back unchanged, that
 * is with the same own keys and values. Not the same prototype: Fastify's router builds params
 * without one, zod's output is a plain object, and the handlers only read the values.
 */
const zodAcceptsUnchanged = (schema: z.ZodType, input: unknown) => {
  const result = schema.safeParse(input);
  return result.success && typeof input === 'object' && input !== null && isDeepStrictEqual({ ...(result.data as object) }, { ...input });
};

describe('plainStringObject: which schemas take the shortcut', () => {
  it('takes objects of bounded, patterned strings, the agreement id among them', () => {
    expect(plainStringObject(Slug)).toBeTypeOf('function');
    expect(plainStringObject(AgreementParams)).toBeTypeOf('function');
    expect(plainStringObject(z.object({ id: z.string(), name: z.string().max(10) }))).toBeTypeOf('function');
  });

  it.each([
    ['an email format', z.strictObject({ id: z.email() })],
    ['a uuid format', z.strictObject({ id: z.uuid() })],
    ['an optional field', z.strictObject({ id: z.string().optional() })],
    ['a number', z.strictObject({ n: z.number() })],
    ['a transform', z.strictObject({ id: z.string().transform((value) => value.toUpperCase()) })],
    ['a trim (it changes the value)', z.strictObject({ id: z.string().trim() })],
    ['a refinement of a field', z.strictObject({ id: z.string().refine((value) => value !== 'root') })],
    ['a refinement of the object', z.strictObject({ id: z.string() }).refine((value) => value.id !== 'root')],
    ['a global pattern (RegExp.test keeps state between calls)', z.strictObject({ id: z.string().regex(/^[a-z]+$/g) })],
    ['an object that keeps unknown keys', z.looseObject({ id: z.string() })],
    ['a string that is not in an object', z.string().max(10)],
  ])('leaves %s to zod', (_what, schema) => {
    expect(plainStringObject(schema)).toBeUndefined();
  });
});

describe('plainStringObject: the predicate accepts exactly what zod accepts unchanged', () => {
  const inherited = Object.create({ id: 'abc' }) as object;
  const ownPlusInherited = Object.assign(Object.create({ extra: 'x' }) as object, { id: 'abc' });
  const inputs: Array<[string, unknown]> = [
    ['valid', { id: 'abc' }],
    ['valid at the longest', { id: 'a'.repeat(120) }],
    ['too long', { id: 'a'.repeat(121) }],
    ['empty', { id: '' }],
    ['bad pattern', { id: 'ABC' }],
    ['pattern with a trailing newline', { id: 'abc\n' }],
    ['an extra key', { id: 'abc', extra: 'x' }],
    ['missing key', {}],
    ['another key instead', { name: 'abc' }],
    ['a number', { id: 5 }],
    ['a string object', { id: new String('abc') }],
    ['an inherited key only', inherited],
    ['an own key and an inherited one', ownPlusInherited],
    ['valid, without a prototype (as the router builds params)', Object.assign(Object.create(null) as object, { id: 'abc' })],
    ['an array', ['abc']],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'abc'],
  ];

  it.each(inputs)('%s', (_what, input) => {
    const accepts = plainStringObject(Slug)!;
    expect(accepts(input)).toBe(zodAcceptsUnchanged(Slug, input));
  });

  it('says yes to the valid ones and no to every other one', () => {
    const accepts = plainStringObject(Slug)!;
    const accepted = inputs.filter(([, input]) => accepts(input)).map(([what]) => what);
    expect(accepted).toEqual(['valid', 'valid at the longest', 'valid, without a prototype (as the router builds params)']);
  });

  it('refuses extra keys of a plain object, which zod would strip (the output would differ from the input)', () => {
    const Plain = z.object({ id: z.string().max(5) });
    const accepts = plainStringObject(Plain)!;
    expect(Plain.safeParse({ id: 'abc', extra: 'x' }).success).toBe(true);
    expect(accepts({ id: 'abc', extra: 'x' })).toBe(false);
    expect(accepts({ id: 'abc' })).toBe(true);
  });

  it('agrees with zod on arbitrary input for the agreement id', () => {
    const accepts = plainStringObject(AgreementParams)!;
    const slugish = fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', 'A', ' ', '\n', '/'), maxLength: 130 });
    const candidate = fc.oneof(
      fc.record({ id: slugish }),
      fc.record({ id: fc.string({ minLength: 115, maxLength: 125, unit: fc.constantFrom('a', '-', 'b') }) }),
      fc.record({ id: slugish, other: fc.anything() }),
      fc.dictionary(fc.string(), fc.anything()),
      fc.anything(),
    );
    fc.assert(fc.property(candidate, (input) => accepts(input) === zodAcceptsUnchanged(AgreementParams, input)), { numRuns: 2_000 });
  });
});

describe('GET /agreements/{id} with an id that is not an agreement id', () => {
  let t: App;
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it.each([
    ['not a slug', 'EU_Nigeria', 'must be a lowercase slug such as eu-belarus-readmission'],
    ['a trailing hyphen', 'eu-nigeria-', 'must be a lowercase slug such as eu-belarus-readmission'],
    ['too long', 'a'.repeat(121), 'must be at most 120 characters'],
  ])('answers 400 naming the field and the rule: %s', async (_what, id, rule) => {
    const response = await t.as('viewer', { method: 'GET', url: `/agreements/${id}` });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', detail: `params.id: ${rule}` });
    expect(problem.errors).toContainEqual({ in: 'params', field: 'id', rule });
  });

  it('lets a well-formed id through: 404 for one never registered', async () => {
    const response = await t.as('viewer', { method: 'GET', url: `/agreements/${'a'.repeat(120)}` });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('AGREEMENT_NOT_FOUND');
  });
});
