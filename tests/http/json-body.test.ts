import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyProblem, parseJsonBody } from '../../src/http/json-body.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Wraps a JSON text at a path of keys and indexes, so that it sits that deep inside other values. */
function nest(text: string, path: Array<string | number>): string {
  return path.reduceRight<string>((inner, step) => (typeof step === 'number' ? `[${'0,'.repeat(step)}${inner}]` : `{"other":"}],{[\\"",${JSON.stringify(step)}:${inner}}`), text);
}

describe('JSON bodies: one pass over the keys', () => {
  it('finds nothing wrong in any text JSON.stringify writes, and gives back what JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!text.includes('"__proto__"') && !text.includes('"prototype"'));
        expect(keyProblem(text)).toBeUndefined();
        expect(parseJsonBody(JSON_HEADERS, Buffer.from(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a key written twice in one object, whatever surrounds it, and names its path', () => {
    const step = fc.oneof(fc.string({ maxLength: 8 }).filter((key) => key !== '__proto__' && key !== 'prototype' && key !== 'constructor'), fc.nat(3));
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }).filter((key) => key !== '__proto__'), fc.jsonValue(), fc.jsonValue(), fc.array(step, { maxLength: 4 }), (key, first, second, path) => {
        const object = `{"before":${JSON.stringify(first)},${JSON.stringify(key)}:${JSON.stringify(first)},"between":"\\\\",${JSON.stringify(key)}:${JSON.stringify(second)}}`;
        fc.pre(key !== 'before' && key !== 'between' && !object.includes('"__proto__"') && !object.includes('"prototype"'));
        expect(keyProblem(nest(object, path))).toEqual({ code: 'DUPLICATE_KEY', field: [...path, key].join('.'), rule: `key ${JSON.stringify(key)} appears twice` });
      }),
      { numRuns: 2000 },
    );
  });

  it('reads escaped keys as JSON.parse does', () => {
    expect(keyProblem('{"a\\u0062":1,"ab":2}')).toMatchObject({ code: 'DUPLICATE_KEY', field: 'ab' });
    expect(keyProblem('{"a\\"":1,"a\\\\":2}')).toBeUndefined();
  });

  it('refuses __proto__ anywhere and prototype under constructor, but not either word as a value or prototype elsewhere', () => {
    expect(keyProblem('[1,{"x":[{"__proto__":{}}]}]')).toMatchObject({ code: 'FORBIDDEN_KEY', field: '1.x.0.__proto__' });
    expect(keyProblem('{"constructor":{"prototype":{}}}')).toMatchObject({ code: 'FORBIDDEN_KEY', field: 'constructor.prototype' });
    expect(keyProblem('{"note":"__proto__","constructor":"prototype","prototype":1,"x":{"prototype":2}}')).toBeUndefined();
    expect(keyProblem('{"constructor":[{"prototype":1}]}')).toBeUndefined();
  });
});
