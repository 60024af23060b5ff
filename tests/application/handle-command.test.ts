import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lifecycleState, type AgreementCommand } from '../../domain/agreement/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import { CommandHandler, streamFor } from '../../src/application/handle-command.js';
import { VersionConflictError } from '../../src/event-store/errors.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';

const register: AgreementCommand = {
  type: 'RegisterAgreement',
  input: { agreementId: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] },
};
const round = (n: number, occurredOn = '2021-02'): AgreementCommand => ({ type: 'RecordStep', step: 'round_held', data: { occurredOn, round: n } });
const meta = (commandId: string) => ({ actor: 'alice', commandId, correlationId: 'corr-1' });

describe('the command handler: read, decide, append', () => {
  let dir: string;
  let store: SqliteEventStore;
  let handler: CommandHandler;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-handler-'));
    store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    handler = new CommandHandler(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends the decided events with who, which command and which correlation in their metadata', async () => {
    const result = await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    expect(result.revision).toBe(0);
    expect(lifecycleState(result.state)).toBe('draft');
    const [stored] = result.events;
    expect(stored).toMatchObject({ stream: 'agreement-eu-nigeria-readmission', type: 'AgreementRegistered', metadata: { actor: 'alice', commandId: 'c1', correlationId: 'corr-1' } });
  });

  it('writes nothing twice when the same command id comes again, even after other steps', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    const first = await handler.handle('eu-nigeria-readmission', round(6, '2021-01-28'), meta('c2'));
    await handler.handle('eu-nigeria-readmission', round(7, '2021-02-18'), meta('c3'));
    const again = await handler.handle('eu-nigeria-readmission', round(6, '2021-01-28'), meta('c2'));
    expect(again.replayed).toBe(true);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(await store.streamRevision(streamFor('eu-nigeria-readmission'))).toBe(2);
  });

  it('lets concurrent writers on one agreement take turns: 20 at once, none lost', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c0'));
    const meetings = Array.from({ length: 20 }, (_, i) =>
      handler.handle('eu-nigeria-readmission', { type: 'RecordStep', step: 'meeting_held', data: { occurredOn: '2021-03', body: `Expert group ${i}` } }, meta(`m${i}`)),
    );
    const results = await Promise.all(meetings);
    expect(new Set(results.map((r) => r.revision)).size).toBe(20);
    expect(await store.streamRevision(streamFor('eu-nigeria-readmission'))).toBe(20);
  });

  it('retries on a conflict with a writer it does not coordinate with (another process), losing nothing', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c0'));
    const other = new CommandHandler(store);
    const meeting = (i: number) => ({ type: 'RecordStep', step: 'meeting_held', data: { occurredOn: '2021-03', body: `Group ${i}` } }) as AgreementCommand;
    await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? handler : other).handle('eu-nigeria-readmission', meeting(i), meta(`m${i}`))));
    expect(await store.streamRevision(streamFor('eu-nigeria-readmission'))).toBe(16);
  });

  it('refuses a write made against a stale revision (If-Match) and writes nothing', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    await handler.handle('eu-nigeria-readmission', round(6), meta('c2'));
    await expect(handler.handle('eu-nigeria-readmission', round(7), meta('c3'), 0)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.streamRevision(streamFor('eu-nigeria-readmission'))).toBe(1);
    const ok = await handler.handle('eu-nigeria-readmission', round(7), meta('c4'), 1);
    expect(ok.revision).toBe(2);
  });

  it('sees what another writer appended since its state was cached', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    await handler.handle('eu-nigeria-readmission', round(6), meta('c2'));
    const other = new CommandHandler(store);
    await other.handle('eu-nigeria-readmission', round(7), meta('c3'));
    const refused = await handler.handle('eu-nigeria-readmission', round(7), meta('c4')).catch((e) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused.code).toBe('ROUND_NOT_INCREASING');
  });

  it('takes an If-Match naming a revision another writer made since its state was cached', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    await new CommandHandler(store).handle('eu-nigeria-readmission', round(6), meta('c2'));
    const result = await handler.handle('eu-nigeria-readmission', round(7), meta('c3'), 1);
    expect(result.revision).toBe(2);
    expect(result.state.machine.context.lastRound).toBe(7);
  });

  it('answers a command another writer carried out since its state was cached as a replay, writing nothing', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    const first = await new CommandHandler(store).handle('eu-nigeria-readmission', round(6), meta('c2'));
    const again = await handler.handle('eu-nigeria-readmission', round(6), meta('c2'));
    expect(again.replayed).toBe(true);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(await store.headPosition()).toBe(2);
  });

  it('notices a write made by another process (another connection to the file) since its state was cached', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    await handler.handle('eu-nigeria-readmission', round(6), meta('c2'));
    await handler.load('eu-nigeria-readmission');
    const otherProcess = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    await new CommandHandler(otherProcess).handle('eu-nigeria-readmission', round(7), meta('c3'));
    await otherProcess.close();
    const { revision, state } = await handler.load('eu-nigeria-readmission');
    expect(revision).toBe(2);
    expect(state.machine.context.lastRound).toBe(7);
  });

  it('refuses, writing nothing, a step no reader could decode (round 1001 from a caller that skipped the HTTP schema)', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    const refused = await handler.handle('eu-nigeria-readmission', round(1001), meta('c2')).catch((e) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'INVALID_EVENT_DATA', details: { field: 'round' } });
    expect(await store.headPosition()).toBe(1);
  });

  it('passes a refusal on and appends nothing', async () => {
    await handler.handle('eu-nigeria-readmission', register, meta('c1'));
    await handler.handle('eu-nigeria-readmission', { type: 'RecordStep', step: 'terminated', data: { occurredOn: '2022' } }, meta('c2'));
    const refused = await handler.handle('eu-nigeria-readmission', round(8, '2023-05'), meta('c3')).catch((e) => e);
    expect(refused).toMatchObject({ code: 'ILLEGAL_STEP', details: { currentState: 'terminated', allowedSteps: [] } });
    expect(await store.headPosition()).toBe(2);
  });
});
