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
      expect(service.build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' });
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

  it('migrates as the owner role and runs gateway and worker as a different, non-superuser application role', () => {
    const user = (url: unknown) => new URL(String(url)).username;
    const superuser = String(services.postgres!.environment?.POSTGRES_USER).replace(/^\$\{POSTGRES_USER:-(.*)\}$/, '$1');
    const migrate = services.migrate!.environment ?? {};
    const known = new Set(Object.keys(configSchema.shape));
    for (const key of Object.keys(migrate)) expect(known.has(key), `migrate: ${key} is not in src/config.ts`).toBe(true);
    const owner = user(migrate.DATABASE_MIGRATION_URL ?? migrate.DATABASE_URL);
    expect(owner).not.toBe(superuser);
    expect(migrate.DATABASE_MIGRATION_URL).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\/payments$/);
    for (const name of ['gateway', 'worker']) {
      const app = user(services[name]!.environment?.DATABASE_URL);
      expect(app, name).not.toBe(owner);
      expect(app, name).not.toBe(superuser);
      expect(services[name]!.environment?.DATABASE_URL, name).not.toContain('POSTGRES_USER'); // not the superuser
      expect(services[name]!.environment?.DATABASE_MIGRATION_URL, name).toBeUndefined();
    }
    expect(String(migrate.DATABASE_APP_ROLE)).toBe(user(services.gateway!.environment?.DATABASE_URL));
    // The roles come from the init SQL mounted into the postgres image's entrypoint directory.
    const volumes = JSON.stringify((services.postgres as { volumes?: unknown }).volumes);
    expect(volumes).toContain('/docker-entrypoint-initdb.d');
    const initSql = readFileSync(path.join(root, 'docker/postgres-init/10-payments-roles.sql'), 'utf8');
    for (const role of [owner, user(services.gateway!.environment?.DATABASE_URL)]) {
      expect(initSql).toMatch(new RegExp(`create role ${role} with login nosuperuser nocreatedb nocreaterole`));
    }
  });

  it('registers every custom search attribute', () => {
    const setup = JSON.stringify(services['temporal-setup']);
    for (const { name } of SEARCH_ATTRIBUTE_DEFINITIONS) expect(setup).toContain(name);
  });
});
