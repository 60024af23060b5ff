import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

/** `true`/`false` as people write them in an environment; anything else is an error, not `false`. */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const ConfigSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a whole number from 0 to 65535' })
    .int('must be a whole number from 0 to 65535')
    .min(0, 'must be a whole number from 0 to 65535')
    .max(65535, 'must be a whole number from 0 to 65535')
    .default(3000),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  EVENT_STORE: z.enum(['sqlite', 'memory', 'esdb'], { error: "must be 'sqlite' (default), 'memory' or 'esdb'" }).default('sqlite'),
  /** EventStoreDB's gRPC connection string; required when EVENT_STORE=esdb. */
  ESDB_CONNECTION_STRING: z
    .string()
    .refine((value) => /^esdb(\+discover)?:\/\/\S+$/.test(value), { error: "must start with 'esdb://' or 'esdb+discover://'" })
    .optional(),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL'], { error: "must be 'FULL' (default) or 'NORMAL'" }).default('FULL'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info'),
  DEMO_DATA: booleanFlag.default(true),
  /** "name:role:secret,..."; unset: tokens are generated once per data directory (see src/http/tokens.ts). */
  API_TOKENS: z.string().optional(),
  /** Proxies whose X-Forwarded-For is believed: the client address that auth throttling counts by. */
  TRUST_PROXY: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0))
    .refine((entries) => entries.length > 0 && entries.every(isAddressOrRange), { error: 'must be IP addresses or CIDR ranges, comma-separated (e.g. 172.16.0.0/12,127.0.0.1)' })
    .optional(),
  /** Live-feed clients served at once; unset: DEFAULT_LIVE_MAX_SUBSCRIBERS (src/http/routes/live.ts). */
  LIVE_MAX_SUBSCRIBERS: z.coerce
    .number({ error: 'must be a whole number from 1 to 100000' })
    .int('must be a whole number from 1 to 100000')
    .min(1, 'must be a whole number from 1 to 100000')
    .max(100_000, 'must be a whole number from 1 to 100000')
    .optional(),
});

/** `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`: an address, or a range of them. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string; databaseFile: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once. Nothing else in the program reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const parsed = ConfigSchema.superRefine((config, context) => {
    if (config.EVENT_STORE === 'esdb' && config.ESDB_CONNECTION_STRING === undefined) {
      context.addIssue({ code: 'custom', path: ['ESDB_CONNECTION_STRING'], message: 'is required when EVENT_STORE=esdb (e.g. esdb://localhost:2113?tls=false)' });
    }
  }).safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const value = env[name];
        if (value === undefined || value === '') return `${name} is not set: ${issue.message}`;
        // A connection string may carry a password: never echo it.
        const shown = name === 'ESDB_CONNECTION_STRING' ? value.replace(/\/\/[^@/]*@/, '//***@') : value;
        return `${name}=${JSON.stringify(shown)}: ${issue.message}`;
      }),
    );
  }
  const dataDir = resolve(parsed.data.DATA_DIR);
  return { ...parsed.data, dataDir, databaseFile: resolve(dataDir, 'ledger.sqlite') };
}
