import { createHash } from 'node:crypto';

/** The previous hash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

export interface Chained {
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: unknown;
}

/**
 * SHA-256 over the canonical form of what the event says and the hash of the event before it in
 * its stream. Editing, removing or reordering any stored event breaks the chain from there on.
 * Positions and recording times are left out: they belong to the store, not to the fact, and an
 * export moved to another store keeps its hashes.
 */
export function eventHash(event: Chained, previousHash: string): string {
  const canonical = canonicalJson({ id: event.id, stream: event.stream, revision: event.revision, type: event.type, data: event.data, metadata: event.metadata, previousHash });
  return createHash('sha256').update(canonical).digest('hex');
}
