import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('starts on the embedded store with demo data on 127.0.0.1:3000 when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', EVENT_STORE: 'sqlite', SQLITE_SYNCHRONOUS: 'FULL', DEMO_DATA: true, LOG_LEVEL: 'info' });
    expect(config.databaseFile).toMatch(/data\/ledger\.sqlite$/);
  });

  it('reads every setting it knows', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: '/tmp/x', EVENT_STORE: 'memory', LOG_LEVEL: 'warn', DEMO_DATA: 'false', SQLITE_SYNCHRONOUS: 'NORMAL' });
    expect(config).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', dataDir: '/tmp/x', EVENT_STORE: 'memory', LOG_LEVEL: 'warn', DEMO_DATA: false, SQLITE_SYNCHRONOUS: 'NORMAL' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT="abc"'],
    [{ PORT: '70000' }, 'PORT="70000"'],
    [{ PORT: '3.5' }, 'PORT="3.5"'],
    [{ EVENT_STORE: 'postgres' }, 'EVENT_STORE="postgres"'],
    [{ DEMO_DATA: 'maybe' }, 'DEMO_DATA="maybe"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL="loud"'],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, 'SQLITE_SYNCHRONOUS="OFF"'],
  ])('fails fast on %o, naming the variable and its value', (env, named) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(named);
  });

  it('selects EventStoreDB with its connection string, single node or discovered cluster', () => {
    for (const url of ['esdb://localhost:2113?tls=false', 'esdb+discover://admin:changeit@cluster.example:2113']) {
      expect(loadConfig({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: url })).toMatchObject({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: url });
    }
  });

  it('refuses EVENT_STORE=esdb without ESDB_CONNECTION_STRING, naming the variable', () => {
    expect(() => loadConfig({ EVENT_STORE: 'esdb' })).toThrow(/ESDB_CONNECTION_STRING is not set: is required when EVENT_STORE=esdb/);
  });

  it.each(['http://localhost:2113', 'localhost:2113', 'esdb://'])('refuses the connection string %s, naming the variable', (url) => {
    expect(() => loadConfig({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: url })).toThrow(/ESDB_CONNECTION_STRING=.*must start with 'esdb:\/\/' or 'esdb\+discover:\/\/'/);
  });

  it('never repeats a password from a bad connection string', () => {
    const error = (() => {
      try {
        loadConfig({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: 'https://admin:s3cret@db:2113' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.message).toContain('ESDB_CONNECTION_STRING');
    expect(error?.message).not.toContain('s3cret');
  });

  it('reports every bad variable at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'x', DEMO_DATA: 'y' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.problems).toHaveLength(2);
  });
});
