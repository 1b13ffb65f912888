// template-processor's settings, all from environment variables:
//   TEMPLATE_FILE or TEMPLATE_DIR  one template, or every file in a directory (exactly one of the two)
//   PARAMS_DIR                     one file per parameter, named after it: what a mounted ConfigMap looks like
//   OUTPUT_DIR                     where the rendered files go: an emptyDir the app container mounts
import { ConfigError, type Env, optional, required } from '../shared/env.ts';

export type Templates = { kind: 'file'; path: string } | { kind: 'directory'; path: string };

export interface Config {
  templates: Templates;
  paramsDir: string;
  outputDir: string;
}

export function loadConfig(env: Env): Config {
  const file = optional(env, 'TEMPLATE_FILE');
  const dir = optional(env, 'TEMPLATE_DIR');
  // Both set is as much a mistake as neither: guessing which one was meant would hide it.
  if (Boolean(file) === Boolean(dir)) throw new ConfigError('set exactly one of TEMPLATE_FILE and TEMPLATE_DIR');
  return {
    templates: file ? { kind: 'file', path: file } : { kind: 'directory', path: dir! },
    paramsDir: required(env, 'PARAMS_DIR'),
    outputDir: required(env, 'OUTPUT_DIR'),
  };
}
