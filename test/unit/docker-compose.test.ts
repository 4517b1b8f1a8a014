import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../src/config.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/temporal/search-attributes.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: string[] | Record<string, { condition?: string }>;
}

const root = path.resolve(import.meta.dirname, '../..');
// merge: true resolves the `<<: *app` keys used to share settings between gateway/worker/migrate.
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

const dependsOn = (service: Service): string[] =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});

describe('docker-compose.yml', () => {
  it('has the infrastructure and application services', () => {
    for (const name of ['temporal', 'temporal-ui', 'postgres', 'gateway', 'worker']) expect(services, name).toHaveProperty(name);
  });

  it('builds gateway and worker from the Dockerfile and runs their entry points', () => {
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/^FROM node:20-slim/m);
    for (const [name, entry] of [['gateway', 'src/gateway/main.ts'], ['worker', 'src/worker/main.ts']] as const) {
      const service = services[name]!;
      expect(service.build, name).toBeDefined();
      expect([service.command].flat().join(' '), name).toContain(entry);
    }
  });

  it('persists Temporal to the postgres service', () => {
    const temporal = services.temporal!;
    expect(String(temporal.environment?.DB)).toMatch(/^postgres/);
    expect(temporal.environment?.POSTGRES_SEEDS).toBe('postgres');
    expect(dependsOn(temporal)).toContain('postgres');
    expect(services['temporal-ui']!.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('makes gateway and worker depend on temporal and postgres and wires them by config variable names', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of ['gateway', 'worker']) {
      const service = services[name]!;
      expect(dependsOn(service), name).toEqual(expect.arrayContaining(['temporal', 'postgres']));
      const env = service.environment ?? {};
      expect(String(env.DATABASE_URL), name).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\//);
      expect(env.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key} is not in src/config.ts`).toBe(true);
    }
  });

  it('registers every custom search attribute', () => {
    const setup = JSON.stringify(services['temporal-setup']);
    for (const { name } of SEARCH_ATTRIBUTE_DEFINITIONS) expect(setup).toContain(name);
  });
});
