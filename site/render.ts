// Turns lesson modules into HTML. The prose comes from each lesson.md and the steps (commands,
// expected result, hint, solution) from the same step objects the CLI runs. Running a step runs
// exactly those commands, and the lesson suite checks at the shell that nothing else ran: a
// command on a page is one the tests ran, verbatim, in that order.
import { Marked } from 'marked';
import { commandText, type Command, type Lesson, type Step } from '../patterns/lesson.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, assets: string, body: string, bodyAttrs = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="${assets}/site.css">
<link rel="icon" href="${assets}/favicon.svg" type="image/svg+xml">
<script src="${assets}/site.js" defer></script>
</head>
<body ${bodyAttrs}>
${body}
</body>
</html>
`;
}

/**
 * Markdown for one lesson page. Pictures sit next to lesson.md (so they also show when the
 * file is read on its own); on the site they are copied to lessons/<id>/, hence the prefix.
 */
function lessonMarkdown(lesson: Lesson): Marked {
  return new Marked({
    walkTokens(token) {
      if (token.type === 'image' && !/^([a-z]+:|\/)/.test(token.href)) token.href = `${lesson.id}/${token.href}`;
    },
  });
}

export function renderIndex(lessons: Lesson[]): string {
  const items = lessons.map((l) => `<li>
  <a href="lessons/${l.id}.html"><span class="number">${String(l.number).padStart(2, '0')}</span> ${escape(l.title)}</a>
  <p>${escape(l.goal)}</p>
  <p class="progress" data-lesson="${l.id}" data-steps="${l.steps.length}"></p>
</li>`).join('\n');
  return page('Kubernetes Patterns Workshop', 'assets', `<main>
<h1>Kubernetes Patterns Workshop</h1>
<p>Each lesson is a set of steps you run against the workshop cluster. Your progress is kept in this browser.</p>
<ol class="curriculum">
${items}
</ol>
</main>`, 'data-page="index"');
}

/**
 * A lesson page: the intro, one section per `### Step N` heading with the step's commands and
 * checks added, then whatever prose follows the last step (trade-offs, exercise).
 */
export interface LessonPageContext {
  /** The lessons before and after this one, for the links at the end of the page. */
  prev?: Lesson;
  next?: Lesson;
  /** The text of each file the steps apply (see appliedFiles), by its path from the repository root. */
  manifests?: Record<string, string>;
}

/**
 * The files a step applies with `-f`, in command order: the page shows each one under the step,
 * read from the very file the command applies, so what attendees read is what runs.
 */
export function appliedFiles(step: Step): string[] {
  const typed = step.commands.filter((c) => typeof c !== 'object' || !('stop' in c)).map(commandText);
  const paths = typed.flatMap((text) => [...text.matchAll(/(?:^|\s)-f\s+(patterns\/\S+\.ya?ml)(?=\s|$)/g)].map((m) => m[1]));
  return [...new Set(paths)];
}

export function renderLesson(lesson: Lesson, prose: string, around: LessonPageContext = {}): string {
  const parts = prose.split(/^### Step \d+: .*$/m);
  const intro = parts[0];
  // The last step's prose ends where the next `## ` section (trade-offs, exercise) begins.
  const last = parts.at(-1) ?? '';
  const trailerAt = last.search(/^## /m);
  const stepProse = [...parts.slice(1, -1), trailerAt >= 0 ? last.slice(0, trailerAt) : last];
  const trailer = trailerAt >= 0 ? last.slice(trailerAt) : '';

  const md = lessonMarkdown(lesson);
  const slides = (kind: string, text: string) => text.split(slideBreak).map((part) => `<section class="${kind} slide">${renderProse(md, part)}</section>`).join('\n');
  const steps = lesson.steps.map((step, i) => renderStep(md, lesson, step, i + 1, stepProse[i] ?? '', around.manifests ?? {})).join('\n');
  return page(`${lesson.title} — Kubernetes Patterns Workshop`, '../assets', `<nav><a href="../index.html">All lessons</a>
<button type="button" class="slides-toggle" aria-pressed="false">Slides</button></nav>
<div class="layout">
<main>
${slides('intro', intro)}
${steps}
${slides('trailer', trailer)}
${lessonNav(around)}
</main>
<aside class="live-panel" hidden aria-label="Live cluster">
${liveChart(lesson)}
<h2>In the cluster</h2>
<div class="resources" aria-live="polite"></div>
<h2>Recent events</h2>
<div class="events"></div>
</aside>
</div>`, `data-page="lesson" data-lesson="${lesson.id}"`);
}

/** The chart the lesson declares: one per step that records a rollout, filled by site.js. */
function liveChart(lesson: Lesson): string {
  const apps = lesson.steps.flatMap((s) => (s.records ? [s.records] : []));
  if (lesson.live.chart !== 'rollout' || !apps.length) return '';
  return `<h2>Rollouts: ready pods, old version and new</h2><div class="chart" data-apps="${escape(apps.join(' '))}"></div>`;
}

/**
 * A slide break is an HTML comment on a line of its own, `<!-- slide -->`: invisible where
 * lesson.md is read as Markdown, and on the site it starts a new slide. Prose that does not fit
 * one screen at a size the back row can read is split there rather than shrunk.
 */
const slideBreak = /^<!--\s*slide\s*-->\s*$/m;

/**
 * Speaker notes are HTML comments that start with `notes` (`<!-- notes … -->`): invisible where
 * lesson.md is read as Markdown (GitHub, an editor's preview), and on the site kept in a hidden
 * aside that only the presenter view shows. Markdown inside them is rendered.
 */
const notesBlock = /^<!--\s*notes\b([\s\S]*?)-->\s*$/gm;
function renderProse(md: Marked, text: string): string {
  const notes = [...text.matchAll(notesBlock)].map((m) => md.parse(m[1].trim(), { async: false }));
  const html = md.parse(text.replace(notesBlock, ''), { async: false });
  return notes.length ? `${html}<aside class="speaker-notes" hidden>${notes.join('\n')}</aside>` : html;
}

const label = (l: Lesson) => `${String(l.number).padStart(2, '0')} ${escape(l.title)}`;
function lessonNav({ prev, next }: LessonPageContext): string {
  return `<nav class="lesson-nav" aria-label="Other lessons">${prev ? `<a rel="prev" href="${prev.id}.html">&larr; ${label(prev)}</a>` : '<span></span>'}` +
    `${next ? `<a rel="next" href="${next.id}.html">${label(next)} &rarr;</a>` : ''}</nav>`;
}

/**
 * A step is one slide: its prose, its commands and manifests, what to expect, hint and solution.
 * Where a long step's prose has slide breaks, the parts before the last one come first, on
 * slides of their own under the step's title: explain, then run.
 */
function renderStep(md: Marked, lesson: Lesson, step: Step, n: number, text: string, manifests: Record<string, string>): string {
  const parts = text.split(slideBreak);
  const prose = parts.pop()!;
  const badge = step.needs === 'containers'
    ? ' <span class="badge" title="Needs containers that really run: kind, or the local control plane with --real-node">containers</span>' : '';
  const title = `Step ${n}: ${escape(step.title)}${badge}`;
  const before = parts.map((part) => `<section class="step-prose slide" data-step="${step.id}">\n<h3>${title}</h3>\n${renderProse(md, part)}</section>\n`).join('');
  const commands = step.commands.map(renderCommand).join('\n');
  const named = namedKeys(text);
  const files = appliedFiles(step).filter((path) => path in manifests).map((path) => renderManifest(path, manifests[path], named)).join('\n');
  return `${before}<section class="step slide" id="step-${step.id}" data-step="${step.id}" data-needs="${step.needs}">
<h3>${title}</h3>
${renderProse(md, prose)}
<div class="commands">${commands}</div>
${files}<p class="expected"><strong>Expected:</strong> ${escape(step.expected)}</p>
<details class="hint"><summary>Hint</summary><p>${escape(step.hint)}</p></details>
<details class="solution"><summary>Solution</summary><pre><code>${escape(step.solution)}</code></pre></details>
<div class="live" hidden>
  <button type="button" class="run" data-lesson="${lesson.id}" data-step="${step.id}">Run</button>
  <button type="button" class="check" data-lesson="${lesson.id}" data-step="${step.id}">Check</button>
  <output class="result" aria-live="polite"></output>
</div>
<pre class="terminal" hidden aria-label="Transcript of step ${n}"></pre>
<label class="done"><input type="checkbox" data-step="${step.id}"> Done</label>
</section>`;
}

/**
 * A manifest, folded: the step's prose says what to look for, the file is one click away. Its
 * box scrolls (long lines, and a height limit on slides), so it takes keyboard focus to scroll.
 */
function renderManifest(path: string, text: string, named: Set<string>): string {
  return `<details class="manifest"><summary>${escape(path.split('/').at(-1)!)} <span class="path">${escape(path)}</span></summary>` +
    `<pre tabindex="0"><code class="yaml">${highlightYaml(text, named)}</code></pre></details>`;
}

/**
 * The fields a step's prose points at: every name it puts in backticks, alone (`maxSurge`) or
 * with a value (`maxSurge: 1`, `strategy: Recreate`). The manifests under the step mark the
 * keys of that name, so the reader finds in the file what the prose talks about. Speaker notes
 * do not count: the audience does not read them.
 */
export function namedKeys(prose: string): Set<string> {
  const spans = [...prose.replace(notesBlock, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1].trim());
  return new Set(spans.map((span) => /^([A-Za-z][\w-]*)(?::\s.*)?$/.exec(span)?.[1]).filter((key) => key !== undefined));
}

/**
 * Just enough YAML highlighting to read a manifest from the back row: comments muted, keys
 * coloured, and the lines whose key the prose names marked (key and value). It works line by
 * line on escaped text, so it can never change what is shown.
 */
function highlightYaml(text: string, named: Set<string>): string {
  return text.split('\n').map((line) => {
    const comment = /(^|\s)#.*$/.exec(line);
    const code = comment ? line.slice(0, comment.index + comment[1].length) : line;
    const rest = comment ? line.slice(code.length) : '';
    const key = /^(\s*(?:- )?)([\w.\/-]+):(?=\s|$)(.*)$/.exec(code);
    const keyed = !key ? escape(code)
      : named.has(key[2]) ? `${escape(key[1])}<mark><span class="k">${escape(key[2])}</span>:${escape(key[3].trimEnd())}</mark>${escape(key[3].slice(key[3].trimEnd().length))}`
      : `${escape(key[1])}<span class="k">${escape(key[2])}</span>:${escape(key[3])}`;
    return keyed + (rest ? `<span class="c">${escape(rest)}</span>` : '');
  }).join('\n');
}

/**
 * A command with its copy button. A program is marked as running in a terminal of its own (the
 * live page adds the end of its log); a Ctrl-C names the terminal it goes to.
 */
function renderCommand(command: Command): string {
  if (typeof command === 'object' && 'stop' in command) {
    return `<div class="command ctrl-c"><p><kbd>Ctrl-C</kbd> in the <strong>${escape(command.stop)}</strong> terminal</p></div>`;
  }
  const text = commandText(command);
  const copy = `<button type="button" class="copy" data-command="${escape(text)}" aria-label="Copy command">Copy</button>`;
  const code = `<pre><code>${escape(text)}</code></pre>${copy}`;
  if (typeof command === 'object' && 'start' in command) {
    const terminal = escape(command.terminal);
    return `<div class="program" data-terminal="${terminal}"><p class="terminal-name">In a terminal of its own, <strong>${terminal}</strong>; leave it running:</p>` +
      `<div class="command">${code}</div><pre class="program-log" hidden aria-label="End of the ${terminal} log"></pre></div>`;
  }
  const fails = typeof command === 'object' ? '<p class="fails">This command is refused, by design: read its message.</p>' : '';
  return `<div class="command">${code}</div>${fails}`;
}
