import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { registerModel } from '../projections/register/projection.js';
import { Projector } from '../src/application/projector.js';
import { configureConnection, migrate } from '../src/event-store/sqlite-schema.js';
import { SqliteEventStore } from '../src/event-store/sqlite.js';
import { SqliteDocumentStore } from '../src/read-models/sqlite-document-store.js';
import { isMain, paired, printTable, rate, type Figure } from './harness.js';

/**
 * Rebuilding the register from zero over a generated log (10,000 agreements, 100 events each,
 * interleaved as real logs are), against a raw readAll of the same log that parses the same JSON.
 */
function fillLog(file: string, agreements: number, perAgreement: number): number {
  const db = new Database(file);
  configureConnection(db, 'NORMAL');
  migrate(db);
  db.pragma('synchronous = OFF');
  const insert = db.prepare('INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const now = new Date().toISOString();
  const metadata = JSON.stringify({ actor: 'bench', commandId: 'bench' });
  db.transaction(() => {
    for (let revision = 0; revision < perAgreement; revision++) {
      for (let a = 0; a < agreements; a++) {
        const [type, data] =
          revision === 0
            ? ['AgreementRegistered', { agreementId: `eu-bench-${a}`, title: `EU-Bench ${a} Readmission Agreement`, kind: 'readmission_agreement', binding: true, parties: ['EU', `Bench ${a}`], links: {} }]
            : ['NegotiationRoundHeld', { occurredOn: '2019-03-26', round: revision, location: 'Brussels', source: '004:1594' }];
        insert.run(randomUUID(), `agreement-eu-bench-${a}`, revision, type, JSON.stringify(data), metadata, now);
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return agreements * perAgreement;
}

export async function runRebuildBench(options: { quick: boolean }): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-rebuild-'));
  const agreements = options.quick ? 1000 : 10_000;
  const file = join(dir, 'ledger.sqlite');
  try {
    const total = fillLog(file, agreements, 100);
    const store = new SqliteEventStore(file);
    const logger = pino({ level: 'silent' });
    let run = 0;
    const rounds = options.quick ? 1 : 3;
    const result = await paired(
      rounds,
      () =>
        rate(total, async () => {
          let count = 0;
          for await (const event of store.readAll()) if (event.data) count++;
          if (count !== total) throw new Error(`read ${count}`);
        }),
      async () => {
        const documents = new SqliteDocumentStore(join(dir, `documents-${run++}.sqlite`));
        const projector = new Projector(store, documents, registerModel, logger);
        const speed = await rate(total, async () => {
          projector.start();
          if (!(await projector.waitFor(total, 600_000))) throw new Error('rebuild did not finish');
          await projector.stop();
        });
        if ([...documents.loadAll('register')].length !== agreements) throw new Error('rebuild lost documents');
        documents.close();
        return speed;
      },
    );
    await store.close();
    return [{
      name: `register rebuild, ${total.toLocaleString('en-GB')} events / ${agreements.toLocaleString('en-GB')} agreements`, unit: 'events/s', ...result,
      baselineName: 'readAll (paged, JSON parsed)', target: '>= 0.50x', met: result.ratio >= 0.5, rounds,
    }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  printTable('Read model rebuild (median of paired rounds)', await runRebuildBench({ quick: process.argv.includes('--quick') }));
}
