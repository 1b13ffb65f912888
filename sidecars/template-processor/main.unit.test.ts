// template-processor as a real process: the init container of the configuration-template lesson.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToExit } from '../testing/run-program.ts';

/** A scratch directory with the given files, e.g. { 'params/port': '8080\n' }. */
async function scratch(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'template-processor-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

describe('template-processor', () => {
  it('renders a template from one file per parameter and exits 0', async () => {
    const dir = await scratch({
      'app.conf': 'listen {{ port }}\ngreeting = "{{greeting}}" # {{ not a placeholder! }}\nport again {{port}}\n',
      // As a ConfigMap mounts them: one file per key, values ending in a newline, hidden bookkeeping.
      'params/port': '8080\n',
      'params/greeting': 'costs $5 & $&\n',
      'params/..data/port': 'ignored',
    });
    const result = await runToExit('template-processor', {
      TEMPLATE_FILE: join(dir, 'app.conf'),
      PARAMS_DIR: join(dir, 'params'),
      OUTPUT_DIR: join(dir, 'out'),
    });
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'out', 'app.conf'), 'utf8')).toBe(
      'listen 8080\ngreeting = "costs $5 & $&" # {{ not a placeholder! }}\nport again 8080\n',
    );
    expect(result.logs).toContainEqual(expect.objectContaining({ msg: 'templates rendered', files: ['app.conf'] }));
  });

  it('names every missing parameter and its template, exits non-zero and writes nothing', async () => {
    const dir = await scratch({
      'templates/a.conf': '{{ host }}:{{ port }}',
      'templates/b.conf': '{{ user }} {{ host }} {{ user }}',
      'templates/c.conf': 'no placeholders',
      'params/port': '8080',
    });
    const result = await runToExit('template-processor', {
      TEMPLATE_DIR: join(dir, 'templates'),
      PARAMS_DIR: join(dir, 'params'),
      OUTPUT_DIR: join(dir, 'out'),
    });
    expect(result.code).toBe(1);
    const a = join(dir, 'templates', 'a.conf');
    const b = join(dir, 'templates', 'b.conf');
    expect(result.logs.at(-1)).toMatchObject({
      level: 'error',
      msg: `missing parameters (add them to ${join(dir, 'params')}): ${a} needs host; ${b} needs user, host`,
      missing: { [a]: ['host'], [b]: ['user', 'host'] },
    });
    // Not even the template that could have been rendered (c.conf): all or nothing.
    expect(await readdir(dir)).not.toContain('out');
  });

  it('renders every file of TEMPLATE_DIR', async () => {
    const dir = await scratch({ 'templates/a.conf': 'a={{ x }}', 'templates/b.conf': 'b={{ x }}', 'params/x': '1' });
    const result = await runToExit('template-processor', {
      TEMPLATE_DIR: join(dir, 'templates'),
      PARAMS_DIR: join(dir, 'params'),
      OUTPUT_DIR: join(dir, 'out'),
    });
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'out', 'a.conf'), 'utf8')).toBe('a=1');
    expect(await readFile(join(dir, 'out', 'b.conf'), 'utf8')).toBe('b=1');
  });

  it('refuses to guess between TEMPLATE_FILE and TEMPLATE_DIR', async () => {
    const result = await runToExit('template-processor', { TEMPLATE_FILE: '/a', TEMPLATE_DIR: '/b', PARAMS_DIR: '/p', OUTPUT_DIR: '/o' });
    expect(result.code).toBe(1);
    expect(result.logs[0]!.msg).toBe('invalid configuration: set exactly one of TEMPLATE_FILE and TEMPLATE_DIR');
  });
});
