import fc from 'fast-check';
import { STEP_NAMES } from '../../domain/agreement/steps.js';

/**
 * Generators of hostile requests for the write routes. Bodies are written out as JSON text by hand,
 * so that what JSON.stringify would drop or change reaches the server: `__proto__` and duplicate
 * keys, numbers no double can hold, deep nesting.
 */
export class Raw {
  constructor(readonly text: string) {}
}
export class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [string, Json]>) {}
}
export type Json = Raw | Obj | string | number | boolean | null | Json[];

export function jsonText(value: Json): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  return JSON.stringify(value);
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const nasty = fc.constantFrom(
  '', ' ', '\u0000', '\u202e', '\ufeff', '\u200b', '𝕏', '👩‍👩‍👧', 'e\u0301', '\n\r\t', '${7*7}', '<script>', "'; DROP TABLE events; --",
  '../../etc/passwd', '%00', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
);
const unit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate, nasty);
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit, maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  // Just past the field limits (200, 300, 2000, 4000 characters), in one, two and four bytes a character.
  fc.tuple(fc.constantFrom(201, 301, 2001, 4001), fc.constantFrom('x', 'é', '👍')).map(([length, char]) => char.repeat(length)),
);

const VALID_DATES = ['2021', '2021-03', '2021-Q4', '2021-H1', '2021-autumn', '2019-03-26', '2019-11-18/2019-11-19', '2014-10/2014-12'];
const partialDateish: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...VALID_DATES),
  fc.constantFrom(
    '2021-13', '2021-00', '2021-02-30', '2021-04-31', '1900-02-29', '2021-Q0', '2021-Q5', '2021-H3', '2021-fall', '0000', '99999', '-2021',
    '2019-11-19/2019-11-18', '2019/2020/2021', '/', '2021-', '2021-3', '21', '2021-W12', '2021-03-26T10:00:00Z', '１９９９', '2021-03/2021-03-05',
  ),
  fc.tuple(fc.integer({ min: -10, max: 10_050 }), fc.integer({ min: -1, max: 14 }), fc.integer({ min: -1, max: 33 })).map(([y, m, d]) => `${y}-${m}-${d}`),
  hostileString,
);

const hugeNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1e-400', '123456789012345678901234567890', '9007199254740993', '-0', '1E308', '1.5', '-1', '0', '1001').map((text) => new Raw(text)),
  fc.bigInt().map((value) => new Raw(String(value))),
  fc.double(),
);

/** Deeper than the store's 32 levels, up to what fits in 64 KiB. */
const deep: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: 33, max: 30_000 }).map((depth) => new Raw('['.repeat(depth) + ']'.repeat(depth))),
  fc.integer({ min: 33, max: 5_000 }).map((depth) => new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))),
);

const pollution: fc.Arbitrary<Obj> = fc.constantFrom(
  new Obj([['__proto__', new Obj([['polluted', 'yes'], ['binding', true]])]]),
  new Obj([['constructor', new Obj([['prototype', new Obj([['polluted', 'yes']])]])]]),
  new Obj([['__proto__', null]]),
  new Obj([['prototype', new Obj([['polluted', 'yes']])]]),
  new Obj([['constructor', 'x']]),
  new Obj([['toString', 'x'], ['valueOf', 1], ['hasOwnProperty', 'x']]),
);

export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  hostileString, partialDateish, hugeNumber, fc.boolean(), fc.constant(null), deep, pollution,
  fc.array(fc.oneof(hostileString, pollution, hugeNumber), { maxLength: 4 }),
);

const id = fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}$/);
const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
const keyOf = (fields: Record<string, fc.Arbitrary<Json>>) => fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'ID', ...Object.keys(fields)), hostileString);

/**
 * An object of these fields. Half are clean (each field absent or valid, so that requests get past
 * validation to the rules and the store); half are dirty (some fields hostile, stray keys such as
 * `__proto__` or a duplicate of a real one, before or after the others).
 */
function objectOf(fields: Record<string, fc.Arbitrary<Json>>, required: readonly string[] = []): fc.Arbitrary<Obj> {
  const pick = (dirty: boolean) =>
    fc.tuple(
      ...Object.entries(fields).map(([key, valid]) =>
        fc
          .oneof(
            { arbitrary: fc.constant(undefined), weight: !dirty && required.includes(key) ? 0 : 2 },
            { arbitrary: valid, weight: 6 },
            { arbitrary: hostileValue, weight: dirty ? 1 : 0 },
          )
          .map((value) => (value === undefined ? [] : [[key, value] as const])),
      ),
    );
  const clean = pick(false).map((chosen) => new Obj(chosen.flat()));
  const dirty = fc.tuple(pick(true), fc.array(fc.tuple(keyOf(fields), hostileValue), { maxLength: 2 }), fc.boolean()).map(([chosen, extra, strayFirst]) => {
    const own = chosen.flat();
    return new Obj(strayFirst ? [...extra, ...own] : [...own, ...extra]);
  });
  return fc.oneof({ arbitrary: clean, weight: 3 }, { arbitrary: dirty, weight: 2 });
}

const stepFields = (step: fc.Arbitrary<Json>) => ({
  step,
  occurredOn: fc.constantFrom(...VALID_DATES),
  tentative: fc.boolean(),
  dateText: text,
  alternativeDates: fc.array(objectOf({ occurredOn: fc.constantFrom(...VALID_DATES), source: text, note: text }, ['occurredOn']), { maxLength: 3 }),
  party: text,
  round: fc.integer({ min: 1, max: 1000 }),
  location: text,
  body: text,
  scope: text,
  meetingStatus: fc.constantFrom('held', 'planned', 'written_procedure', 'replaced_by_call'),
  note: text,
  source: text,
});

export const registerBody = objectOf({
  id: fc.oneof(id, fc.constantFrom('a'.repeat(120), 'a'.repeat(121))),
  title: text,
  kind: fc.constantFrom('readmission_agreement', 'mobility_partnership', 'brand_new_kind', 'Not-Snake'),
  binding: fc.boolean(),
  parties: fc.uniqueArray(fc.constantFrom('EU', 'Testland', 'Türkiye', '中国', 'Côte d’Ivoire'), { minLength: 2, maxLength: 4 }),
  links: objectOf({ amends: id, supersedes: id, negotiatedWith: fc.array(id, { maxLength: 3 }) }),
  note: text,
  source: text,
}, ['id', 'title', 'kind', 'parties']);

export const stepBody = objectOf(stepFields(fc.constantFrom(...STEP_NAMES)), ['step', 'occurredOn']);

export const correctionBody = (eventIds: string[]) => {
  const { step: _step, ...changeable } = stepFields(fc.constant('x'));
  const nullable = Object.fromEntries(Object.entries(changeable).map(([key, arb]) => [key, fc.oneof(arb, fc.constant(null))]));
  const eventId = fc.oneof(fc.constantFrom(...eventIds), fc.uuid());
  const changes = objectOf(nullable);
  return fc.oneof(
    objectOf({ eventId, changes, reason: text }, ['eventId', 'changes', 'reason']),
    objectOf({ eventId, withdraw: fc.constant(true), reason: text }, ['eventId', 'withdraw', 'reason']),
    objectOf({ eventId, changes, reason: text, withdraw: fc.constantFrom<Json>(true, false, 'true', 1) }),
  );
};

const MALFORMED = ['', '{', '{"id":', '{"a":1,}', "{'a':1}", 'NaN', 'undefined', '\ufeff{}', '[]', '"text"', '42', 'null', 'true', '{"step":"meeting_held"}{"x":1}', '{"a":1}garbage'];

/** What a body may be: an object (mostly), malformed JSON, random bytes, invalid UTF-8, or more than the 64 KiB limit. */
export function payloadOf(body: fc.Arbitrary<Obj>): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { arbitrary: body.map(jsonText), weight: 8 },
    { arbitrary: fc.oneof(fc.constantFrom(...MALFORMED), fc.string({ unit, maxLength: 60 })), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
    {
      // A string holding bytes that are not UTF-8 (an encoded lone surrogate, 0xff, an overlong slash).
      arbitrary: body.map((object) => {
        const rest = jsonText(object).slice(1, -1);
        return Buffer.concat([Buffer.from('{"note":"'), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xc0, 0xaf]), Buffer.from(`"${rest ? `,${rest}` : ''}}`)]);
      }),
      weight: 1,
    },
    { arbitrary: fc.tuple(body, fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 })).map(([object, size]) => jsonText(new Obj([...object.entries, ['note', 'x'.repeat(size)]]))), weight: 1 },
  );
}

/** Header values a real client can send: Latin-1 without control characters. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 40 });

/** Rarely present: most hostile values of these headers are refused before the body is looked at. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary, weight: 1 });

export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record({
    'content-type': fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 30 },
      {
        arbitrary: fc.constantFrom(
          'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json',
          'application/json; charset=utf-16', 'application/jsonx', '*/*', 'application/*', 'text/html',
        ),
        weight: 2,
      },
      { arbitrary: headerValue, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    ),
    'if-match': sometimes(fc.oneof(fc.constantFrom('"0"', '"1"', '"2"', '*', '"999999999999999"', '"9999999999999999"', 'W/"1"', '"-1"', '""', '"1", "2"', '1'), headerValue)),
    'idempotency-key': sometimes(fc.oneof(fc.uuid(), headerValue, fc.constant('k'.repeat(201)))),
    'x-request-id': sometimes(headerValue),
    'x-correlation-id': sometimes(fc.oneof(headerValue, fc.constant('c'.repeat(201)))),
  })
  .map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>);
