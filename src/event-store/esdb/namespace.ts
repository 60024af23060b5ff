import type { EsdbWire, WireEvent, WireSubscription } from './wire.js';

/**
 * Lets several ledgers (or test runs) share one EventStoreDB: every stream of this ledger is stored
 * as `namespace + name`, and the ledger sees only its own streams, under their own names. Hashes
 * are taken over the ledger's names, so an export moved between namespaces still verifies.
 */
export function namespacedWire(inner: EsdbWire, namespace: string): EsdbWire {
  const inside = (raw: WireEvent): WireEvent =>
    raw.stream.startsWith(namespace) ? { ...raw, stream: raw.stream.slice(namespace.length) } : { ...raw, foreign: true };
  return {
    readStream: async (stream, from, direction, count) => (await inner.readStream(namespace + stream, from, direction, count)).map(inside),
    readAll: async (from, direction, count) => (await inner.readAll(from, direction, count)).map(inside),
    append: (stream, expected, events) => inner.append(namespace + stream, expected, events),
    subscribe: (from, streamPrefix): WireSubscription => {
      const subscription = inner.subscribe(from, namespace + (streamPrefix ?? ''));
      return {
        async *[Symbol.asyncIterator]() {
          for await (const raw of subscription) yield inside(raw);
        },
        close: () => subscription.close(),
      };
    },
    dispose: () => inner.dispose(),
  };
}
