import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEvent, EVENT_VERSIONS, rehydrate, SourceRef, StepData, type EventVersions, type RecordedEvent, type StoredForm,
} from '../../domain/agreement/index.js';
import { acceptsAsIs } from '../../domain/agreement/accepts-as-is.js';

/**
 * tests/fixtures/log-v1.json: four demo agreements imported by `importDataset` through the
 * CommandHandler, then a correction and a withdrawal recorded by a desk officer; every event as the
 * store hands it back. It stays as it is: a later ledger must still read it.
 */
const LOG: Array<StoredForm & { stream: string }> = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/log-v1.json'), 'utf8'));

function agreements(versions?: EventVersions) {
  const streams = new Map<string, RecordedEvent[]>();
  for (const stored of LOG) {
    const id = stored.stream.replace(/^agreement-/, '');
    streams.set(id, [...(streams.get(id) ?? []), decodeEvent(stored, versions)]);
  }
  return new Map([...streams].map(([id, events]) => [id, rehydrate(events)]));
}

/** A test-only version 2: AgreementSigned's `source` is called `citation`; every other type is unchanged. */
const SignedV2 = StepData.omit({ source: true }).extend({ citation: SourceRef.optional() });
const V2: EventVersions = {
  current: 2,
  schemas: { ...EVENT_VERSIONS.schemas, steps: { ...EVENT_VERSIONS.schemas.steps, AgreementSigned: SignedV2 } },
  upcasters: {
    AgreementSigned: { 1: ({ source, ...rest }) => (source === undefined ? rest : { ...rest, citation: source }) },
  },
};

const signedEvents = LOG.filter((stored) => stored.type === 'AgreementSigned');

describe('stored events come back through one decoder', () => {
  it('reads the log written today and folds it to what the demo data says', () => {
    const folded = agreements();
    const summary = (id: string) => {
      const state = folded.get(id)!;
      const last = state.summary.lastStep;
      return { status: state.machine.value, lastStep: last && `${last.step} ${last.occurredOn}`, planned: state.summary.planned.map((step) => `${step.step} ${step.occurredOn}`) };
    };
    expect(summary('eu-cabo-verde-visa-facilitation-amendment')).toEqual({ status: 'ratifying', lastStep: 'submitted_for_consent 2021-07-14', planned: ['entered_into_force 2021-autumn'] });
    expect(summary('eu-armenia-readmission')).toEqual({ status: 'in_force', lastStep: 'meeting_held 2021-06-29', planned: [] });
    expect(summary('eu-nigeria-readmission')).toEqual({ status: 'negotiating', lastStep: 'round_held 2021-03-18', planned: [] });
    expect(summary('eu-cabo-verde-mobility-partnership')).toEqual({ status: 'signed', lastStep: 'signed 2007', planned: [] });
    // The officer's correction and withdrawal are folded in as well.
    expect(folded.get('eu-nigeria-readmission')!.steps.find((step) => step.corrections.length > 0)?.data.location).toBe('Abuja');
    expect(folded.get('eu-armenia-readmission')!.steps.filter((step) => step.withdrawn)).toHaveLength(1);
  });

  it('hands valid data of the current version over as the stored object, not a copy', () => {
    for (const stored of LOG) expect(decodeEvent(stored).data).toBe(stored.data);
  });

  it('reads an event without a schema version as version 1, as every log written before versions were stamped', () => {
    const { metadata: _metadata, ...unstamped } = signedEvents[0]!;
    expect(decodeEvent(unstamped)).toEqual(decodeEvent(signedEvents[0]!));
  });

  describe('given a version 2 in which a signature cites its `citation`, no longer its `source`', () => {
    it('upcasts the version 1 signatures of the log, and folds every agreement as before', () => {
      const upcast = signedEvents.map((stored) => decodeEvent(stored, V2).data);
      expect(upcast.map((data) => (data as { citation?: string }).citation)).toEqual(signedEvents.map((stored) => (stored.data as { source?: string }).source));
      expect(upcast.every((data) => !('source' in data))).toBe(true);
      const before = agreements();
      for (const [id, state] of agreements(V2)) {
        expect(state.machine).toEqual(before.get(id)!.machine);
        expect(state.summary).toEqual(before.get(id)!.summary);
      }
    });

    it('decodes an event written in version 2 directly, to what the upcast version 1 event becomes', () => {
      const v1 = signedEvents[0]!;
      const { source, ...rest } = v1.data as { source: string };
      const v2 = { ...v1, data: { ...rest, citation: source }, metadata: { ...v1.metadata, schemaVersion: 2 } };
      expect(decodeEvent(v2, V2)).toEqual(decodeEvent(v1, V2));
    });

    it('refuses a version 2 signature that still names its source, naming the field', () => {
      const v1 = signedEvents[0]!;
      expect(() => decodeEvent({ ...v1, metadata: { schemaVersion: 2 } }, V2)).toThrow(`stored event ${v1.id} (AgreementSigned): data.source: is not a field of this event`);
    });
  });

  it('refuses a version it does not know, naming the event type and the field', () => {
    const signed = signedEvents[0]!;
    for (const schemaVersion of [2, 0, 1.5, '1']) {
      expect(() => decodeEvent({ ...signed, metadata: { schemaVersion } })).toThrow(`(AgreementSigned): metadata.schemaVersion: is ${JSON.stringify(schemaVersion)}: this ledger reads only version 1`);
    }
    expect(() => decodeEvent({ ...signed, metadata: { schemaVersion: 3 } }, V2)).toThrow('metadata.schemaVersion: is 3: this ledger reads versions 1 to 2');
  });

  it('refuses malformed events, naming the event type and the field at fault', () => {
    const signed = signedEvents[0]!;
    const data = signed.data as Record<string, unknown>;
    const refusal = (stored: StoredForm) => {
      try {
        decodeEvent(stored);
      } catch (error) {
        return (error as Error).message.replace(`stored event ${signed.id} `, '');
      }
      return 'accepted';
    };
    expect(refusal({ ...signed, data: { ...data, occurredOn: '2019-13' } })).toMatch(/^\(AgreementSigned\): data\.occurredOn: month 13 does not exist/);
    expect(refusal({ ...signed, data: { ...data, occurredOn: undefined } })).toBe('(AgreementSigned): data.occurredOn: Invalid input: expected string, received undefined');
    expect(refusal({ ...signed, data: { ...data, round: 0 } })).toBe('(AgreementSigned): data.round: Too small: expected number to be >=1');
    expect(refusal({ ...signed, data: { ...data, signedBy: 'EU' } })).toBe('(AgreementSigned): data.signedBy: is not a field of this event');
    expect(refusal({ ...signed, data: ['2019'] })).toBe('(AgreementSigned): data: must be an object');
    expect(refusal({ ...signed, type: 'AgreementSignedTwice' })).toBe('(AgreementSignedTwice): type: is not a type of event this ledger records');
  });

  it('takes the quick check only where zod accepts the data unchanged', () => {
    const quick = acceptsAsIs(StepData)!;
    // Step data near the valid kind: a few fields, some wrong in type, length, range or form.
    const text = fc.oneof(fc.constantFrom('Brussels', ' Brussels', '', 'x'.repeat(201)), fc.string({ maxLength: 5 }));
    const field = fc.record(
      {
        occurredOn: fc.oneof(fc.constantFrom('2019', '2019-13', '2019-03-26', '2021-autumn', 'soon'), fc.integer()),
        round: fc.oneof(fc.integer({ min: -1, max: 1001 }), fc.double(), fc.constant('3')),
        tentative: fc.oneof(fc.boolean(), fc.constant('yes')),
        location: text,
        alternativeDates: fc.array(fc.record({ occurredOn: fc.constantFrom('2018', '2018-02-30'), note: text }, { requiredKeys: ['occurredOn'] }), { maxLength: 12 }),
        venue: text,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(field, (data) => {
        const parsed = StepData.safeParse(data);
        if (quick(data)) expect(parsed).toEqual({ success: true, data });
        if (parsed.success && isDeepStrictEqual(parsed.data, data)) expect(quick(data)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
