import { describe, expect, it } from 'vitest';
import { EVENT_VERSIONS, type AgreementCommand } from '../../domain/agreement/index.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';

const register: AgreementCommand = {
  type: 'RegisterAgreement',
  input: { agreementId: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] },
};

describe('the write path and the versions of stored events', () => {
  it('stamps every event it writes with the schema version its data is written in', async () => {
    const store = new MemoryEventStore();
    const handler = new CommandHandler(store);
    await handler.handle('eu-nigeria-readmission', register, { actor: 'alice', commandId: 'c1' });
    await handler.handle('eu-nigeria-readmission', { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2021-01-28', round: 6 } }, { actor: 'alice', commandId: 'c2' });
    const versions = [];
    for await (const event of store.readStream('agreement-eu-nigeria-readmission')) versions.push(event.metadata.schemaVersion);
    expect(versions).toEqual([EVENT_VERSIONS.current, EVENT_VERSIONS.current]);
  });

  it('refuses to decide on an agreement whose stored event it cannot read, naming the event and the field', async () => {
    const store = new MemoryEventStore();
    const handler = new CommandHandler(store);
    await handler.handle('eu-nigeria-readmission', register, { actor: 'alice', commandId: 'c1' });
    // Written by a later ledger, in a version this one does not know.
    const later = await store.append('agreement-eu-nigeria-readmission', [{ type: 'NegotiationRoundHeld', data: { occurredOn: '2021-01-28', roundNumber: 6 }, metadata: { schemaVersion: 99 } }], { expectedRevision: 0 });
    const attempt = handler.handle('eu-nigeria-readmission', { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2021-02-18', round: 7 } }, { actor: 'alice', commandId: 'c3' });
    await expect(attempt).rejects.toThrow(`stored event ${later.events[0]!.id} (NegotiationRoundHeld): metadata.schemaVersion: is 99`);
  });
});
