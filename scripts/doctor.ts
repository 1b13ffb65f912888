// npm run doctor — is this machine ready for the workshop? Exits non-zero if neither path works.
import { runChecks } from './doctor/checks.ts';

const checks = await runChecks();
for (const c of checks) {
  console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(18)} ${c.detail}${c.ok || !c.fix ? '' : `\n     fix: ${c.fix}`}`);
}
const ready = (path: 'kind' | 'local' | 'real-node' | 'tests') =>
  checks.filter((c) => c.path === path || c.path === 'both' || (path !== 'kind' && path !== 'local' && c.path === 'local')).every((c) => c.ok);
console.log(`kind path: ${ready('kind') ? 'ready' : 'not ready'}; local control plane: ${ready('local') ? 'ready' : 'not ready'}; ` +
  `with a real node: ${ready('real-node') ? 'ready' : 'not ready'}; npm test: ${ready('tests') ? 'ready' : 'not ready'}`);
if (!ready('kind') && !ready('local')) process.exitCode = 1;
