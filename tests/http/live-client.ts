import { request, type IncomingMessage } from 'node:http';

export interface Received {
  id: number;
  event: string;
  data: { agreementId: string; step?: string; position: number } & Record<string, unknown>;
}

/** A real HTTP client for text/event-stream: collects events (and the raw text) until told to stop. */
export function connect(url: string, token: string, headers: Record<string, string> = {}) {
  const received: Received[] = [];
  let text = '';
  let response: IncomingMessage | undefined;
  const target = new URL(url);
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, agent: false, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      response = res;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop()!;
        for (const block of blocks) {
          const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          if (fields.id) received.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data!) });
        }
      });
      res.on('error', () => {});
      // An event stream says it is open with a first comment line; any other answer has a body to read.
      if (res.statusCode === 200) res.once('data', () => resolve(res));
      else resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    received,
    ready,
    text: () => text,
    response: () => response,
    /** Waits (at most 5 s) until `count` events have arrived. */
    until: async (count: number) => {
      const deadline = Date.now() + 5000;
      while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      return received;
    },
    /**
     * Waits (at most 5 s) until the frame at `position` has arrived; frames come in position order,
     * so what came before it is all that ever will. Write a marker event, then read up to it.
     */
    through: async (position: number) => {
      const deadline = Date.now() + 5000;
      while (!received.some((frame) => frame.id >= position) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      return received;
    },
    close: () => response?.destroy(),
  };
}
