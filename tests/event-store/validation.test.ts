import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { InvalidAppendError } from '../../src/event-store/errors.js';
import { chainedHash, eventHash, GENESIS_HASH, hashMatches, legacyEventHash } from '../../src/event-store/hash-chain.js';
import { prepareEvents } from '../../src/event-store/validation.js';

const refusal = (events: unknown): InvalidAppendError => {
  try {
    prepareEvents(events);
  } catch (error) {
    if (error instanceof InvalidAppendError) return error;
    throw error;
  }
  throw new Error('accepted');
};

describe('prepareEvents', () => {
  it('names the exact nested field and the rule of what JSON cannot carry', () => {
    const ok = { type: 'A', data: { a: 1 } };
    expect(refusal([ok, { type: 'A', data: { a: [1, 2, { b: Number.NaN }] } }])).toMatchObject({ field: 'events[1].data.a[2].b', rule: 'numbers must be finite' });
    expect(refusal([{ type: 'A', data: {}, metadata: { x: { y: undefined } } }])).toMatchObject({ field: 'events[0].metadata.x.y', rule: 'undefined is not a JSON value' });
    expect(refusal([{ type: 'A', data: JSON.parse('{"__proto__": 1}') }])).toMatchObject({ field: 'events[0].data.__proto__', rule: 'this key is not allowed' });
    expect(refusal([{ type: 'A', data: { when: new Date(0) } }])).toMatchObject({ field: 'events[0].data.when', rule: 'object is not a JSON value' });
  });

  it('hands the objects of the caller on only when their JSON reads back as an equal value', () => {
    const data = { a: [1, { b: 'x' }] };
    const metadata = { actor: 'alice' };
    const [plain] = prepareEvents([{ type: 'A', data, metadata }]);
    expect(plain!.data).toBe(data);
    expect(plain!.metadata).toBe(metadata);
    const [negativeZero] = prepareEvents([{ type: 'A', data: { a: [1, { b: -0 }] } }]);
    expect(negativeZero!.data).toBeUndefined();
    expect(JSON.parse(negativeZero!.dataJson)).toEqual({ a: [1, { b: 0 }] });
    const [noPrototype] = prepareEvents([{ type: 'A', data: { a: Object.assign(Object.create(null), { b: 1 }) } }]);
    expect(noPrototype!.data).toBeUndefined();
  });

  it('hashes the stored text the same way the events read back hash (version 2)', () => {
    const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.nat(), (data, metadata, revision) => {
        fc.pre(!JSON.stringify([data, metadata]).includes('"__proto__"')); // refused, tested above
        const [prepared] = prepareEvents([{ type: 'A', data, metadata }]);
        const { id, dataJson, metadataJson } = prepared!;
        const read = { id, stream: 's-1', revision, type: 'A', data: JSON.parse(dataJson), metadata: JSON.parse(metadataJson) };
        const stored = chainedHash({ id, stream: 's-1', revision, type: 'A', dataJson, metadataJson }, GENESIS_HASH);
        expect(eventHash(read, GENESIS_HASH)).toBe(stored);
        expect(hashMatches(read, GENESIS_HASH, stored)).toBe(true);
        expect(hashMatches({ ...read, revision: revision + 1 }, GENESIS_HASH, stored)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the hashes of both versions: what each hashes, written out by hand', () => {
    const event = { id: '2f1d7a52-4c55-4e8e-9a38-1b5d0c3f9e11', stream: 'agreement-x', revision: 3, type: 'StepRecorded', data: { b: 1, a: { d: [3, { z: 1, y: 2 }] } }, metadata: { actor: 'alice' } };
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const rest = `"id":"${event.id}","metadata":{"actor":"alice"},"previousHash":"${GENESIS_HASH}","revision":3,"stream":"agreement-x","type":"StepRecorded"}`;
    const version2 = sha(`{"data":{"b":1,"a":{"d":[3,{"z":1,"y":2}]}},${rest}`);
    const version1 = sha(`{"data":{"a":{"d":[3,{"y":2,"z":1}]},"b":1},${rest}`);
    expect(eventHash(event, GENESIS_HASH)).toBe(version2);
    expect(legacyEventHash(event, GENESIS_HASH)).toBe(version1);
    // A log written before version 2 still verifies, and neither version accepts the other event.
    expect(hashMatches(event, GENESIS_HASH, version1)).toBe(true);
    expect(hashMatches(event, GENESIS_HASH, version2)).toBe(true);
    expect(hashMatches({ ...event, data: { b: 2, a: event.data.a } }, GENESIS_HASH, version1)).toBe(false);
    expect(hashMatches({ ...event, data: { b: 2, a: event.data.a } }, GENESIS_HASH, version2)).toBe(false);
  });
});
