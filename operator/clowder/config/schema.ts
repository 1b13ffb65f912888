// Validates a cdappconfig.json against Clowder's own JSON Schema (vendored, unchanged, in
// ../schema/). Tests use it to prove that what the operator writes is what Clowder's client
// libraries accept.
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';

let compiled: ValidateFunction | undefined;

export function appConfigSchema(): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(new URL('../schema/clowder-appconfig.schema.json', import.meta.url), 'utf8'));
  // The file still carries 17 draft-04 style `"id": "<string>"` keywords, which Ajv 8 refuses.
  // We drop them here rather than edit the vendored file, so it stays byte-identical to upstream.
  // No property of the schema is itself called "id", so nothing else is lost.
  const strip = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(strip);
  };
  strip(schema);
  return schema;
}

/** The list of schema violations, empty when the config is valid. */
export function validateAppConfig(config: unknown): string[] {
  compiled ??= new Ajv({ strict: true, allErrors: true }).compile(appConfigSchema());
  return compiled(config) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
