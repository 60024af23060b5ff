import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { errorCodes, type FastifyInstance } from 'fastify';
import type { Problem } from './problem.js';

/** The one request body the API reads. */
export const JSON_MEDIA_TYPE = 'application/json; charset=utf-8';

/** A request body refused before any route saw it, with the problem to answer (see errors.ts). */
export class BodyRefusedError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/**
 * Replaces Fastify's JSON parser, which reads any charset as UTF-8, ignores Content-Encoding,
 * skips a byte order mark and lets the last of two equal keys win: a body that says
 * `"step":"meeting_held"` and then `"step":"signed"` must not be read as either.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request.headers, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

export function parseJsonBody(headers: IncomingHttpHeaders, body: Buffer): unknown {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && !onlyIdentity(encoding)) {
    throw refused(415, 'Unsupported Media Type', 'UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding: ${clip(encoding)} is not decoded here; the only allowed coding is identity (send the body as it is)`, { allowed: ['identity'] }, { 'accept-encoding': 'identity' });
  }
  const type = headers['content-type'];
  const charset = type === undefined || type.length === 16 ? undefined : foreignCharset(type);
  if (charset !== undefined) {
    throw refused(415, 'Unsupported Media Type', 'UNSUPPORTED_MEDIA_TYPE', `Content-Type: charset ${clip(charset)} is not accepted; the only allowed type is ${JSON_MEDIA_TYPE}`, { allowed: [JSON_MEDIA_TYPE] });
  }
  if (body.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    throw refused(400, 'Bad Request', 'BYTE_ORDER_MARK', 'body: must not start with a byte order mark (RFC 8259 §8.1); send UTF-8 without one');
  }
  if ((body[0] === 0xfe && body[1] === 0xff) || (body[0] === 0xff && body[1] === 0xfe)) {
    throw refused(400, 'Bad Request', 'BYTE_ORDER_MARK', `body: starts with a UTF-16 byte order mark; the only allowed type is ${JSON_MEDIA_TYPE}, without one`);
  }
  if (!isUtf8(body)) throw refused(400, 'Bad Request', 'INVALID_UTF8', `body: is not valid UTF-8; the only allowed type is ${JSON_MEDIA_TYPE}`);
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
  }
  const problem = keyProblem(text);
  if (problem) throw refused(400, 'Bad Request', problem.code, `body.${problem.field}: ${problem.rule}`, { errors: [{ in: 'body', ...problem }] });
  return value;
}

function refused(status: number, title: string, code: string, detail: string, extensions?: Record<string, unknown>, headers?: Record<string, string>): BodyRefusedError {
  return new BodyRefusedError({ status, title, code, detail, ...(extensions ? { extensions } : {}), ...(headers ? { headers } : {}) });
}

function onlyIdentity(encoding: string): boolean {
  return encoding.split(',').every((coding) => coding.trim().toLowerCase() === 'identity');
}

/** The first charset parameter that is not UTF-8, read as RFC 9110 §5.6.6 writes parameters. */
function foreignCharset(type: string): string | undefined {
  let at = type.indexOf(';');
  while (at !== -1) {
    const equals = type.indexOf('=', at);
    if (equals === -1) return undefined;
    const name = type.slice(at + 1, equals).trim().toLowerCase();
    let value: string;
    let next: number;
    let start = equals + 1;
    while (type[start] === ' ' || type[start] === '\t') start++;
    if (type[start] === '"') {
      let end = start + 1;
      value = '';
      while (end < type.length && type[end] !== '"') {
        if (type[end] === '\\') end++;
        value += type[end] ?? '';
        end++;
      }
      next = type.indexOf(';', end);
    } else {
      next = type.indexOf(';', start);
      value = type.slice(start, next === -1 ? undefined : next).trim();
    }
    if (name === 'charset' && value.toLowerCase() !== 'utf-8') return value;
    at = next;
  }
  return undefined;
}

const clip = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface KeyProblem {
  code: 'DUPLICATE_KEY' | 'FORBIDDEN_KEY';
  field: string;
  rule: string;
}

/**
 * One pass over text JSON.parse has accepted, for what it lets through silently: a key twice in
 * one object (it keeps the last), and the keys Fastify's own parser refuses because merging
 * such an object can change a prototype (`__proto__`, `constructor.prototype`). Only keys are
 * looked at; other strings are skipped with indexOf.
 */
export function keyProblem(text: string): KeyProblem | undefined {
  // One entry per open object or array: the keys seen so far (undefined for an array), and where
  // the parse is inside it (the last key, or the index), from which a refusal's path is built.
  const seen: Array<Set<string> | undefined> = [];
  const at: Array<string | number> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const depth = seen.length - 1;
        const keys = seen[depth]!;
        if (keys.has(key)) return { code: 'DUPLICATE_KEY', field: pathOf(at, depth, key), rule: `key ${JSON.stringify(key)} appears twice` };
        if (key === '__proto__' || (key === 'prototype' && depth > 0 && seen[depth - 1] !== undefined && at[depth - 1] === 'constructor')) {
          return { code: 'FORBIDDEN_KEY', field: pathOf(at, depth, key), rule: `key ${JSON.stringify(key)} is refused: read into an object it could change its prototype` };
        }
        keys.add(key);
        at[depth] = key;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT) {
      seen.push(new Set());
      at.push('');
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      seen.push(undefined);
      at.push(0);
      expectKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      seen.pop();
      at.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const depth = seen.length - 1;
      if (seen[depth] === undefined) at[depth] = (at[depth] as number) + 1;
      else expectKey = true;
    }
  }
  return undefined;
}

function pathOf(at: ReadonlyArray<string | number>, depth: number, key: string): string {
  return [...at.slice(0, depth), key].join('.');
}

/** The index of the quote that closes the string opening at `start` (text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}
