import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { BARE_SECURITY_HEADERS } from './security-headers.js';

interface ClientError extends Error {
  code?: string;
  /** llhttp's words for what it could not parse, e.g. "Invalid method encountered". */
  reason?: string;
}

interface Answer {
  status: number;
  title: string;
  code: string;
  detail: string;
}

const HEAD_OF_BARE_HEADERS = Object.entries(BARE_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (a malformed request line, a
 * bad header, headers too large, a request not received in time) never becomes a request, so
 * no route, hook or error handler sees it. The answer is still a problem, written on the socket
 * as Node's own default would, then the connection is closed: after a parse error nothing more
 * on it can be trusted to start where a request starts.
 */
export function sendClientErrorProblem(this: FastifyInstance, error: ClientError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err: error }, 'request refused by the HTTP parser');
  // A response already under way on this connection (a pipelined request broke behind it) cannot
  // be followed by another status line: the connection is only closed.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const answer = answerFor(error);
    const body = JSON.stringify({ type: `urn:agreement-ledger:problem:${answer.code.toLowerCase()}`, ...answer });
    socket.write(
      `HTTP/1.1 ${answer.status} ${answer.title}\r\n${HEAD_OF_BARE_HEADERS}content-type: application/problem+json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function answerFor(error: ClientError): Answer {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, title: 'Request Timeout', code: 'REQUEST_TIMEOUT', detail: 'the request was not received in time; send it again at once' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, title: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', detail: `the request line and headers must fit in ${maxHeaderSize} bytes` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, title: 'Content Too Large', code: 'CHUNK_EXTENSIONS_TOO_LARGE', detail: 'chunk extensions are too large' };
    default: {
      const why = (error.reason ?? error.message).replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
      return { status: 400, title: 'Bad Request', code: 'MALFORMED_REQUEST', detail: `not a valid HTTP/1.1 request: ${why}${error.code ? ` (${error.code})` : ''}` };
    }
  }
}
