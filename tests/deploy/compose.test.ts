import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// `yaml` comes with @fastify/swagger (a dependency) and vite; the compose file is YAML with anchors.
import { parse } from 'yaml';
import { readRepoFile, root } from './dockerfile.js';

interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readRepoFile('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
/** What `${NAME:-default}` gives when NAME is unset. */
const withDefaults = (value = '') => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
const env = (service: Service, name: string) => withDefaults(service.environment?.[name]);
const esdbNodes = services.filter(([, s]) => /kurrentdb|eventstore/.test(withDefaults(s.image)));
const apis = services.filter(([, s]) => s.build !== undefined);
const namedVolume = (service: Service, target: string) => service.volumes?.map((v) => v.split(':')).find(([, at]) => at === target)?.[0];

describe('docker-compose.yml', () => {
  it('runs a three-node EventStoreDB cluster from a pinned official image: each node seeded with the other two, projections off', () => {
    expect(esdbNodes.map(([name]) => name)).toHaveLength(3);
    for (const [name, node] of esdbNodes) {
      expect(withDefaults(node.image)).toMatch(/^docker\.kurrent\.io\/kurrent-(lts|latest)\/kurrentdb:\d+\.\d+\.\d+$/);
      expect(env(node, 'KURRENTDB_CLUSTER_SIZE')).toBe('3');
      expect(env(node, 'KURRENTDB_RUN_PROJECTIONS')).toBe('None');
      expect(env(node, 'KURRENTDB_NODE_HOST_ADVERTISE_AS')).toBe(name);
      const others = esdbNodes.filter(([other]) => other !== name).map(([other]) => `${other}:2113`);
      expect(env(node, 'KURRENTDB_GOSSIP_SEED').split(',').sort()).toEqual(others.sort());
    }
  });

  it('runs at least two API instances built from this repository, on the cluster, sharing tokens that are not in the file', () => {
    expect(apis.length).toBeGreaterThanOrEqual(2);
    for (const [name, api] of apis) {
      expect(api.build === '.' || (typeof api.build === 'object' && api.build.context === '.'), name).toBe(true);
      expect(env(api, 'EVENT_STORE')).toBe('esdb');
      // esdb://host:port,host:port,...?options (several hosts: not a WHATWG URL)
      const [, hosts = '', options = ''] = /^esdb:\/\/([^/?]+)\/?\?(.*)$/.exec(env(api, 'ESDB_CONNECTION_STRING')) ?? [];
      expect(hosts.split(',').sort()).toEqual(esdbNodes.map(([node]) => `${node}:2113`).sort());
      expect(new URLSearchParams(options).get('nodePreference')).toBe('leader');
      expect(api.environment?.API_TOKENS).toMatch(/^\$\{API_TOKENS:\?[^}]+\}$/);
      for (const [node] of esdbNodes) expect(api.depends_on?.[node]?.condition, `${name} waits for ${node}`).toBe('service_healthy');
    }
    expect(apis.filter(([, api]) => env(api, 'DEMO_DATA') !== 'false').length, 'instances that load demo data into an empty log').toBeLessThanOrEqual(1);
  });

  it('gives every API instance and every node a named volume of its own for its data', () => {
    const targets = [...apis.map(([, api]) => [api, env(api, 'DATA_DIR')] as const), ...esdbNodes.map(([, node]) => [node, '/var/lib/kurrentdb'] as const)];
    const volumes = targets.map(([service, target]) => namedVolume(service, target));
    for (const volume of volumes) expect(Object.keys(compose.volumes)).toContain(volume);
    expect(new Set(volumes).size).toBe(targets.length);
  });

  it('puts one proxy in front: the only published port, waiting for every API instance, its config naming each', () => {
    const published = services.filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['proxy']);
    const [, proxy] = published[0]!;
    expect(proxy.ports).toHaveLength(1);
    for (const [name] of apis) expect(proxy.depends_on?.[name]?.condition, `proxy waits for ${name}`).toBe('service_healthy');
    const [major, minor] = (/^nginx:(\d+)\.(\d+)/.exec(proxy.image ?? '') ?? []).slice(1).map(Number);
    expect(major === 1 && minor! >= 28, `${proxy.image}: upstream "resolve" needs nginx 1.27.3 or later`).toBe(true);
    const mount = proxy.volumes?.find((v) => v.startsWith('./deploy/'))?.split(':')[0];
    const config = readRepoFile(mount!);
    for (const [name, api] of apis) expect(config, `upstream server ${name}`).toMatch(new RegExp(`\\bserver ${name}:${env(api, 'PORT')}\\b`));
  });

  it('lets the instances trust X-Forwarded-For only because the proxy overwrites what a client sent', () => {
    const mount = services.find(([name]) => name === 'proxy')![1].volumes?.find((v) => v.startsWith('./deploy/'))?.split(':')[0];
    const config = readRepoFile(mount!);
    for (const [name, api] of apis) expect(env(api, 'TRUST_PROXY'), name).toBeTruthy();
    expect(config).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(config).not.toMatch(/proxy_add_x_forwarded_for/);
  });

  it('has a health check on every service', () => {
    for (const [name, service] of services) expect(service.healthcheck?.test?.length ?? 0, name).toBeGreaterThan(1);
  });
});

describe('docker-compose config', () => {
  const tool = findCompose();
  const scratch = mkdtempSync(join(tmpdir(), 'ledger-compose-'));
  const emptyEnvFile = join(scratch, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const config = (extra: Record<string, string>) => {
    const { API_TOKENS: _, ...inherited } = process.env;
    // An empty --env-file: a developer's own .env must not decide the outcome.
    return spawnSync(tool!.command, [...tool!.args, '--env-file', emptyEnvFile, 'config', '-q'], { cwd: root, env: { ...inherited, ...extra }, encoding: 'utf8' });
  };

  it.skipIf(!tool)('accepts the file (skipped where neither docker-compose nor `docker compose` is installed)', () => {
    const result = config({ API_TOKENS: 'officer:officer:0123456789abcdef' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!tool)('refuses to start without API_TOKENS, naming it', () => {
    const result = config({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('API_TOKENS');
  });

  if (!tool) it.skip('docker-compose is not installed: `apt-get install docker-compose` to validate the file here', () => {});
});

function findCompose(): { command: string; args: string[] } | undefined {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return { command: 'docker-compose', args: [] };
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return { command: 'docker', args: ['compose'] };
  return undefined;
}
