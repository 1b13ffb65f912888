export type * from './app-config.ts';
export * from './load.ts';
