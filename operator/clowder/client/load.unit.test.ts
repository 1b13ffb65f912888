// The client's types against Clowder's schema, from both sides: each object below holds only the
// keys our types require. If our types required a key the schema does not, the object would not
// compile; if the schema required one our types miss, validation would fail.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateAppConfig } from '../config/schema.ts';
import type { AppConfig } from './app-config.ts';
import { databaseUrl, endpointUrl, loadConfig, publicPort, topicName } from './load.ts';

const minimal: AppConfig = {
  metricsPort: 9000,
  metricsPath: '/metrics',
  logging: { type: 'null', cloudwatch: { accessKeyId: '', secretAccessKey: '', region: '', logGroup: '' } },
  metadata: { deployments: [{ name: 'api', image: 'img' }] },
  endpoints: [{ name: 'api', app: 'shop', hostname: 'shop-api.ns.svc', port: 8000, apiPath: '/api/shop-api/' }],
  privateEndpoints: [{ name: 'api', app: 'shop', hostname: 'shop-api.ns.svc', port: 10000 }],
  dependencyEndpoints: { v2: { shop: { api: { uri: 'http://shop-api.ns.svc:8000' } } } },
  database: { name: 'db', username: 'u', password: 'p@ss', hostname: 'h', port: 5432, adminUsername: 'postgres', adminPassword: 'a', sslMode: 'disable' },
  inMemoryDb: { hostname: 'r', port: 6379 },
  objectStore: { hostname: 'm', port: 9000, tls: false, buckets: [{ name: 'b-1', requestedName: 'b' }] },
  featureFlags: { hostname: 'f', port: 443, scheme: 'https' },
  kafka: { brokers: [{ hostname: 'k' }], topics: [{ name: 'pre.t', requestedName: 't' }] },
  prometheusGateway: { hostname: 'g', port: 9091 },
};

describe('the app-side client', () => {
  it('types agree with the schema: required-only objects validate', () => {
    expect(validateAppConfig(minimal)).toEqual([]);
    expect(validateAppConfig({ ...minimal, logging: undefined })).toContain("/ must have required property 'logging'");
  });

  it('loads $ACG_CONFIG and answers the usual questions', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'acg-')), 'cdappconfig.json');
    await writeFile(file, JSON.stringify({ ...minimal, publicPort: 8000 }));
    const config = loadConfig(file);
    expect(publicPort(config)).toBe(8000);
    expect(topicName(config, 't')).toBe('pre.t');
    expect(databaseUrl(config)).toBe('postgresql://u:p%40ss@h:5432/db?sslmode=disable');
    expect(endpointUrl(config, 'shop', 'api')).toBe('http://shop-api.ns.svc:8000');
    expect(endpointUrl(config, 'shop', 'api', 'private')).toBe('http://shop-api.ns.svc:10000');
    expect(endpointUrl(config, 'other', 'api')).toBeUndefined();
  });

  it('says why when ACG_CONFIG is not set', () => {
    expect(() => loadConfig('')).toThrow(/ACG_CONFIG is not set/);
  });
});
