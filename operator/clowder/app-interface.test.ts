// The app-interface modes of the database (§6.9) and of Kafka (§15.4), on the real local control
// plane: what someone else provisioned (RDS credentials in Secrets, a Strimzi Kafka with its topics)
// becomes the app's config; what is missing is named in the env's or the app's conditions, in
// Clowder's words. The RDS CA bundle comes from a server of the test's own on 127.0.0.1.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testClient, testKubeConfig, waitFor } from '../../test/cluster.ts';
import type { ClowdApp, ClowdAppSpec, ClowdEnvironment } from './api.ts';
import type { AppConfig } from './client/app-config.ts';
import { validateAppConfig } from './config/schema.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { installStrimziCrds, removeStrimziCrds } from './strimzi-crds.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const suffix = randomBytes(3).toString('hex');
const [ai, noKafka, noCa] = ['ai', 'no-kafka', 'no-ca'].map((n) => `${n}-${suffix}`);
const BUNDLE = '-----BEGIN CERTIFICATE-----\nMIIBrdsca\n-----END CERTIFICATE-----\n';
let server: Server;
let origin: string;

const rds = (host: string, user: string) => ({ 'db.host': host, 'db.port': '5432', 'db.user': user, 'db.password': `${user}-pw`, 'db.name': user });

const t = clowderTest('clowder-app-interface', {
  setup: async () => {
    // The CA bundle's server: /rds.pem, 404 for anything else, and only for its own Host.
    server = createServer((req, res) => {
      const own = req.headers.host === `127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(own && req.url === '/rds.pem' ? 200 : own ? 404 : 421).end(own && req.url === '/rds.pem' ? BUNDLE : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // What App Interface would have provisioned: RDS Secrets (a read replica's sorts first), the
    // Kafka cluster's bootstrap Service and CA.
    await t.secret('a-orders-replica', rds('orders-readonly.abc.rds.example.com', 'replica'));
    await t.secret('orders-rds', rds('orders-prod.abc.rds.example.com', 'orders'));
    await t.secret('billing-creds', rds('elsewhere.rds.example.com', 'billing'), { 'clowder/database': 'billing' });
    await core.createNamespacedService({ namespace: t.ns.name, body: { metadata: { name: 'kafka-kafka-bootstrap' }, spec: { ports: [{ port: 9093 }] } } });
    await t.secret('kafka-cluster-ca-cert', { 'ca.crt': 'KAFKA-CA' });
    const kafka = (name: string) => ({ mode: 'app-interface', cluster: { name, namespace: t.ns.name, forceTLS: true } });
    await t.createEnv(environment(ai, { db: { mode: 'app-interface', caBundleURL: `${origin}/rds.pem` }, kafka: kafka('kafka') }));
    await t.createEnv(environment(noKafka, { kafka: kafka('absent') }));
    await t.createEnv(environment(noCa, { db: { mode: 'app-interface', caBundleURL: `${origin}/gone.pem` } }));
  },
});
const { clowd } = t;

afterAll(async () => {
  await removeStrimziCrds(client);
  await new Promise((resolve) => server?.close(resolve));
});

async function deploy(name: string, spec: Partial<ClowdAppSpec>): Promise<AppConfig> {
  await clowd.createApp(clowdApp(name, t.ns.name, ai, [{ name: 'api' }], spec));
  await waitFor(`${name} to reconcile`, reconciled(() => clowd.readApp(t.ns.name, name)));
  const stored = await core.readNamespacedSecret({ name, namespace: t.ns.name });
  const config = JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
  expect(validateAppConfig(config)).toEqual([]);
  return config;
}

async function failed(read: () => Promise<ClowdApp | ClowdEnvironment>): Promise<string> {
  const object = await waitFor('ReconciliationFailed', async () => {
    const o = await read();
    return condition(o, 'ReconciliationFailed')?.status === 'True' ? o : undefined;
  });
  return condition(object, 'ReconciliationFailed')!.message!;
}

describe('the env halves', () => {
  it('an env is ready once the bootstrap Service exists and the CA bundle is fetched', async () => {
    const env = (await waitFor('the env to reconcile', reconciled(() => clowd.readEnv(ai)))) as ClowdEnvironment;
    expect(env.status!.ready).toBe(true);
  });

  it('names the missing bootstrap Service, and a CA bundle it could not fetch', async () => {
    expect(await failed(() => clowd.readEnv(noKafka))).toBe(`runprov: kafka: Cannot find kafka bootstrap service ${t.ns.name}:absent-kafka-bootstrap: `);
    expect(await failed(() => clowd.readEnv(noCa))).toBe('runprov: database: Failed to fetch RDS CA bundle: Bad status code: 404: ');
  });
});

describe('§6.9 database app-interface', () => {
  const expected = (user: string, host: string) => ({
    adminPassword: `${user}-pw`, adminUsername: user, hostname: host, name: user, password: `${user}-pw`, port: 5432,
    rdsCa: BUNDLE, sslMode: 'verify-full', username: user,
  });

  it('finds the Secret whose host is <database.name>-<something>, skipping read replicas, and adds the CA bundle', async () => {
    expect((await deploy('orders', { database: { name: 'orders' } })).database).toEqual(expected('orders', 'orders-prod.abc.rds.example.com'));
  });

  it('takes the Secret annotated with the app\'s name first', async () => {
    expect((await deploy('billing', { database: { name: 'ledger' } })).database).toEqual(expected('billing', 'elsewhere.rds.example.com'));
  });

  it('gives an app with sharedDbAppName the other app\'s database', async () => {
    expect((await deploy('reports', { database: { sharedDbAppName: 'orders' }, dependencies: ['orders'] })).database).toEqual(expected('orders', 'orders-prod.abc.rds.example.com'));
  });

  it('names the Secret it did not find', async () => {
    await clowd.createApp(clowdApp('lost', t.ns.name, ai, [{ name: 'api' }], { database: { name: 'lost' } }));
    expect(await failed(() => clowd.readApp(t.ns.name, 'lost'))).toBe(`runapp: database: Missing dependencies: [source: database, details: DB secret matching app 'lost' not found in namespace '${t.ns.name}']`);
  });
});

describe('§15.4 kafka app-interface', () => {
  it('waits for each topic as a KafkaTopic, then gives the TLS bootstrap broker with the cluster\'s CA', async () => {
    await clowd.createApp(clowdApp('events', t.ns.name, ai, [{ name: 'api' }], { kafkaTopics: [{ topicName: 'ev' }] }));
    expect(await failed(() => clowd.readApp(t.ns.name, 'events'))).toBe(`runapp: kafka: Missing dependencies: [source: kafka, details: No KafkaTopic named 'ev' found in namespace '${t.ns.name}']`);

    // Strimzi's part, played by the test: its KafkaTopic kind (Strimzi's CRD) and the topic.
    await installStrimziCrds(client, ['KafkaTopic']);
    const topic = { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', metadata: { name: 'ev' }, spec: {} };
    await waitFor('the KafkaTopic kind', () => kc.makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({ group: 'kafka.strimzi.io', version: 'v1beta2', plural: 'kafkatopics', namespace: t.ns.name, body: topic }).catch(() => undefined));
    // Nothing watches KafkaTopics: the app finds it on its next retry; we save the backoff.
    t.operator.controllers.app.queue.add(`${t.ns.name}/events`);
    await waitFor('events to reconcile', reconciled(() => clowd.readApp(t.ns.name, 'events')));
    const stored = await core.readNamespacedSecret({ name: 'events', namespace: t.ns.name });
    const config = JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
    expect(config.kafka).toEqual({
      brokers: [{ cacert: 'KAFKA-CA', hostname: `kafka-kafka-bootstrap.${t.ns.name}.svc`, port: 9093, securityProtocol: 'SSL' }],
      topics: [{ name: 'ev', requestedName: 'ev' }],
    });
    expect(validateAppConfig(config)).toEqual([]);
  });
});
