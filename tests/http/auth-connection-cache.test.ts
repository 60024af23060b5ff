import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sameText } from '../../src/http/auth.js';
import { addressOf, openSocket, type RawAnswer } from '../reliability/raw-http.js';
import { startApp, TOKENS } from './fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

const nigeria = { id: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] };

/**
 * One keep-alive HTTP/1.1 connection, one request at a time: the server remembers the bearer header
 * per socket, so the requests must all travel on this very socket.
 */
class KeepAlive {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
  }

  async send(method: string, path: string, authorization: string | undefined, body?: object): Promise<RawAnswer> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const head = [
      `${method} ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Connection: keep-alive',
      ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
      ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`]),
    ].join('\r\n');
    this.socket.write(`${head}\r\n\r\n${payload}`);
    return this.readAnswer();
  }

  /** Reads exactly one answer (Fastify sends Content-Length for every answer here). */
  private async readAnswer(): Promise<RawAnswer> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine = '', ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
          this.buffer = this.buffer.subarray(end + 4 + length);
          return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
        }
      }
      if (this.socket.destroyed) throw new Error('the server closed the keep-alive connection');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        this.socket.once('close', resolve);
      });
    }
  }
}

describe('a bearer token verified on a keep-alive connection', () => {
  let t: App;
  let socket: Socket;
  let connection: KeepAlive;
  let connections: number;

  beforeEach(async () => {
    t = await startApp();
    expect((await t.as('officer', { method: 'POST', url: '/agreements', payload: nigeria })).statusCode).toBe(201);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    connections = 0;
    t.app.server.on('connection', () => connections++);
    socket = await openSocket(addressOf(t.app.server).port);
    connection = new KeepAlive(socket);
  });
  afterEach(async () => {
    socket.destroy();
    await t.close();
  });

  const agreement = `/agreements/${nigeria.id}`;
  const steps = `${agreement}/steps`;
  const bearer = (token: string) => `Bearer ${token}`;

  it('is trusted again only while the header is the same: a wrong token, a missing one or another role are each judged afresh', async () => {
    const first = await connection.send('GET', agreement, bearer(TOKENS.officer));
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ id: nigeria.id });

    const wrong = await connection.send('GET', agreement, bearer(`${TOKENS.officer}x`));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="agreement-ledger"');
    expect(JSON.parse(wrong.body)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const none = await connection.send('GET', agreement, undefined);
    expect(none.status).toBe(401);

    expect((await connection.send('GET', agreement, bearer(TOKENS.officer))).status).toBe(200);

    // The viewer's token on the connection where the officer's was verified gets the viewer's rights.
    const viewerWrite = await connection.send('POST', steps, bearer(TOKENS.viewer), { step: 'round_held', occurredOn: '2021-01' });
    expect(viewerWrite.status).toBe(403);
    expect(viewerWrite.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(viewerWrite.body)).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('role viewer') });
    expect((await connection.send('GET', agreement, bearer(TOKENS.viewer))).status).toBe(200);

    // And the officer's, after the viewer's, gets the officer's rights back.
    const officerWrite = await connection.send('POST', steps, bearer(TOKENS.officer), { step: 'round_held', occurredOn: '2021-01', round: 1 });
    expect(officerWrite.status).toBe(201);
    expect(JSON.parse(officerWrite.body)).toMatchObject({ revision: 1, event: { recordedBy: 'alice' } });
    const last = await connection.send('GET', agreement, bearer(TOKENS.officer));
    expect(last.status).toBe(200);
    expect(last.headers.etag).toBe('"1"');

    // All of it on one connection: the server never closed it in between.
    expect(connections).toBe(1);
    expect(socket.destroyed).toBe(false);
  });

  it('does not let a token that differs only after the remembered one ride on it', async () => {
    expect((await connection.send('GET', agreement, bearer(TOKENS.viewer))).status).toBe(200);
    expect((await connection.send('GET', agreement, `${bearer(TOKENS.viewer)}0`)).status).toBe(401);
    expect((await connection.send('GET', agreement, bearer(TOKENS.viewer.slice(0, -1)))).status).toBe(401);
    expect((await connection.send('GET', agreement, bearer(TOKENS.viewer))).status).toBe(200);
    expect(connections).toBe(1);
  });
});

describe('sameText', () => {
  it.each([
    ['equal', 'Bearer abc', 'Bearer abc', true],
    ['both empty', '', '', true],
    ['same length, one character different', 'Bearer abc', 'Bearer abd', false],
    ['different at the first character', 'xearer abc', 'Bearer abc', false],
    ['a prefix of the known text', 'Bearer ab', 'Bearer abc', false],
    ['longer than the known text', 'Bearer abcd', 'Bearer abc', false],
    ['longer by a NUL character (charCodeAt past the end is NaN)', 'Bearer abc\0', 'Bearer abc', false],
    ['empty against non-empty', '', 'Bearer abc', false],
    ['non-empty against empty', 'Bearer abc', '', false],
    ['differing only in case', 'bearer abc', 'Bearer abc', false],
  ])('%s: %j against %j is %s', (_case, given, known, expected) => {
    expect(sameText(given, known)).toBe(expected);
  });
});
