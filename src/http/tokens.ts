import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROLES = ['officer', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  name: string;
  role: Role;
}

interface TokenEntry extends Principal {
  digest: Buffer;
}

/** Bearer tokens, kept only as SHA-256 digests and compared in constant time. */
export class TokenBook {
  private readonly entries: TokenEntry[];

  constructor(tokens: Array<Principal & { secret: string }>) {
    this.entries = tokens.map(({ name, role, secret }) => ({ name, role, digest: digest(secret) }));
  }

  /** Who holds this secret, or undefined. Every entry is compared, so timing says nothing. */
  identify(secret: string): Principal | undefined {
    const candidate = digest(secret);
    let found: Principal | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, candidate) && !found) found = { name: entry.name, role: entry.role };
    return found;
  }
}

function digest(secret: string): Buffer {
  // crypto.hash (Node >= 20.12) is the one-shot form: a third of createHash's cost per request.
  return typeof hash === 'function' ? hash('sha256', secret, 'buffer') : createHash('sha256').update(secret, 'utf8').digest();
}

export class TokenConfigError extends Error {}

/** Parses API_TOKENS="alice:officer:s3cret,bob:auditor:...". Errors name the entry, never the secret. */
export function parseApiTokens(value: string): Array<Principal & { secret: string }> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const [name, role, ...rest] = entry.split(':');
      const secret = rest.join(':');
      if (!name || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) throw new TokenConfigError(`API_TOKENS entry ${index + 1}: the name must be 1-64 letters, digits or _ . @ -`);
      if (!ROLES.includes(role as Role)) throw new TokenConfigError(`API_TOKENS entry ${index + 1} (${name}): role must be one of ${ROLES.join(', ')}`);
      if (secret.length < 16) throw new TokenConfigError(`API_TOKENS entry ${index + 1} (${name}): the secret must be at least 16 characters`);
      return { name, role: role as Role, secret };
    });
}

/**
 * Without API_TOKENS, one token per role is generated the first time a data directory is used
 * and kept in it (mode 0600), so that `npm start` works at once and restarts keep the same tokens.
 */
export function generatedTokens(dataDir: string): { tokens: Array<Principal & { secret: string }>; file: string; created: boolean } {
  const file = join(dataDir, 'api-tokens.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const entries = Array.isArray(stored) ? stored : [];
    const text = entries.map((entry: { name?: unknown; role?: unknown; secret?: unknown }) => `${String(entry.name)}:${String(entry.role)}:${String(entry.secret)}`);
    if (entries.length === 0) throw new TokenConfigError(`${file}: expected a list of { name, role, secret }`);
    // The same rules as API_TOKENS: a hand-edited file cannot bring in a short secret or a made-up role.
    return { tokens: parseApiTokens(text.join(',')), file, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tokens = ROLES.map((role) => ({ name: role, role, secret: randomBytes(24).toString('base64url') }));
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { tokens, file, created: true };
}

/**
 * What the server prints about generated tokens. The secrets only when `terminal` (stderr is a
 * TTY, seen by the person who started it); otherwise where they are and how to read them, since
 * redirected output ends up in log files and `docker logs`.
 */
export function tokenNotice(generated: { tokens: Array<Principal & { secret: string }>; file: string; created: boolean }, address: string, terminal: boolean): string {
  const kept = `API_TOKENS is not set; ${generated.created ? 'generated' : 'using'} tokens kept in ${generated.file} (mode 0600)`;
  const lines = terminal
    ? [`${kept}:`, ...generated.tokens.map((token) => `  ${token.role.padEnd(8)} Authorization: Bearer ${token.secret}`)]
    : [`${kept}.`, `They are not printed here because stderr is not a terminal; read them with: cat ${generated.file}`];
  return `\nagreement-ledger at ${address} (API docs: ${address}/documentation)\n${lines.join('\n')}\n\n`;
}
