import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

/** What one load run came to: autocannon's summary, and every 2xx latency in milliseconds, sorted. */
export interface Loaded {
  result: autocannon.Result;
  latencies: Float64Array;
}

export interface LoadOptions {
  method: 'POST' | 'GET';
  seconds: number;
  headers: Record<string, string>;
  body?: string;
  /** The path of the i-th request. */
  path: (i: number) => string;
  connections?: number;
}

/**
 * autocannon, 50 connections unless told. Its own latency histogram keeps whole milliseconds (a
 * bare GET's p99 of 4-6 ms then moves by 20% with one step); each response's time as its client
 * measured it (process.hrtime, fractional) is kept here instead, and percentiles are read off those.
 */
export function loadWithLatencies(url: string, options: LoadOptions): Promise<Loaded> {
  let counter = 0;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url,
      connections: options.connections ?? 50,
      duration: options.seconds,
      requests: [{
        method: options.method,
        headers: options.headers,
        ...(options.body !== undefined ? { body: options.body } : {}),
        setupRequest: (request) => ({ ...request, path: options.path(counter++) }),
      }],
    }, (error: unknown, result: autocannon.Result) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({ result, latencies: latencies.subarray(0, count).sort() });
    });
    // @types/autocannon leaves out the first argument (the client) that autocannon emits.
    (instance as unknown as EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, milliseconds: number) => {
      if (status < 200 || status >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = milliseconds;
    });
  });
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
