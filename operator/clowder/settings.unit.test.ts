import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, readConfig, withPostgresImages, WORKSHOP_CONFIG } from './settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'clowder-config-'));
function configFile(content: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, content);
  return file;
}

describe('DEFAULT_SETTINGS', () => {
  it('are the images Clowder pins, for every PostgreSQL version it knows, with and without cyndi', () => {
    // Clowder tags 12–15 by version and commit, and 16 by commit alone, in another repository.
    const rds = (cyndi: string) => Object.fromEntries([12, 13, 14, 15].map((v) => [v, `quay.io/cloudservices/postgresql-rds:${cyndi}${v}-2318dee`]));
    const { postgres, postgresCyndi, ...others } = DEFAULT_SETTINGS.images;
    expect(postgres).toEqual({ ...rds(''), 16: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds:d44b8d1' });
    expect(postgresCyndi).toEqual({ ...rds('cyndi-'), 16: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds-cyndi:d44b8d1' });
    expect(others).toEqual({
      redis: 'registry.redhat.io/rhel10/valkey-8:10.0',
      minio: 'minio/minio:RELEASE.2020-11-19T23-48-16Z-amd64',
      caddyProxy: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/caddy-ubi:094d8a9',
      unleash: 'unleashorg/unleash-server:5.6.9',
      unleashEdge: 'unleashorg/unleash-edge:v19.6.3',
    });
  });
});

describe('readConfig', () => {
  it('reads Clowder\'s clowder_config.json keys and the kit\'s database images, keeping the defaults of what it leaves out', () => {
    const settings = readConfig(configFile(JSON.stringify({
      images: { inMemoryDB: 'example.com/valkey:8', objectStoreMinio: '', caddy: 'ignored', featureFlagsUnleash: 'example.com/unleash:5', postgresCyndi: { 15: 'example.com/pg-cyndi:15' } },
      settings: { restarterAnnotation: 'example.com/restart' },
      features: { createServiceMonitor: true, enableExternalStrimzi: true },
    })));
    expect(settings).toEqual({
      ...DEFAULT_SETTINGS,
      recycleAnnotation: 'example.com/restart',
      features: { enableExternalStrimzi: true, disableStrimziFinalizer: false },
      images: { ...DEFAULT_SETTINGS.images, redis: 'example.com/valkey:8', unleash: 'example.com/unleash:5', postgresCyndi: { ...DEFAULT_SETTINGS.images.postgresCyndi, 15: 'example.com/pg-cyndi:15' } },
    });
  });

  it('takes caddyProxy only with caddy beside it, as Clowder does', () => {
    expect(readConfig(configFile('{"images": {"caddyProxy": "example.com/caddy:2"}}')).images.caddyProxy).toBe(DEFAULT_SETTINGS.images.caddyProxy);
    expect(readConfig(configFile('{"images": {"caddy": "example.com/gw:2", "caddyProxy": "example.com/caddy:2"}}')).images.caddyProxy).toBe('example.com/caddy:2');
  });

  it('the workshop\'s config replaces only the image that needs a registry login', () => {
    expect(readConfig(WORKSHOP_CONFIG)).toEqual({ ...DEFAULT_SETTINGS, images: { ...DEFAULT_SETTINGS.images, redis: 'docker.io/valkey/valkey:8' } });
  });

  it('names the file it cannot read or parse', () => {
    expect(() => readConfig(join(dir, 'missing.json'))).toThrow(/^cannot read the operator's config .*missing\.json: ENOENT/);
    const bad = configFile('{"images": ');
    expect(() => readConfig(bad)).toThrow(`cannot read the operator's config ${bad}: `);
  });
});

describe('withPostgresImages', () => {
  it('replaces the images of the versions named, and nothing else', () => {
    const settings = withPostgresImages(['15=k8s-patterns/postgres:15', '16=example.com/pg:16']);
    expect(settings.images.postgres).toEqual({ ...DEFAULT_SETTINGS.images.postgres, 15: 'k8s-patterns/postgres:15', 16: 'example.com/pg:16' });
    expect({ ...settings, images: { ...settings.images, postgres: DEFAULT_SETTINGS.images.postgres } }).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.images.postgres[15]).toBe('quay.io/cloudservices/postgresql-rds:15-2318dee'); // not changed in place
  });

  it('keeps the defaults without pairs and refuses a pair without a version', () => {
    expect(withPostgresImages([])).toEqual(DEFAULT_SETTINGS);
    expect(() => withPostgresImages(['k8s-patterns/postgres:15'])).toThrow(/<version>=<image>/);
  });
});
