// npm run bench -- <name> [options]
// Each benchmark prints progress to stderr and, as its last line on stdout, one JSON object of
// figures. Timing goals live here, never in test assertions.
const benchmarks: Record<string, () => Promise<{ run: (args: string[]) => Promise<object> }>> = {
  'control-plane': () => import('./bench/control-plane.ts'),
  'config-watcher': () => import('./bench/config-watcher.ts'),
  clowdapp: () => import('./bench/clowdapp.ts'),
  failover: () => import('./bench/failover.ts'),
  'real-node': () => import('./bench/real-node.ts'),
  'site-panel': () => import('./bench/site-panel.ts'),
};

const [name, ...rest] = process.argv.slice(2);
const load = benchmarks[name ?? ''];
if (!load) {
  console.error(`bench: unknown benchmark "${name ?? ''}"; choose one of: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
const figures = await (await load()).run(rest);
console.log(JSON.stringify(figures));
