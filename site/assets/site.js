// The site's only script: copy buttons, progress kept in this browser, slides with a presenter
// view, and — when served by `npm start` next to a workshop cluster — live Run/Check buttons,
// the cluster panel and the rollout chart. No framework: each feature is a few lines.
'use strict';

const page = document.body.dataset.page;
const lessonId = document.body.dataset.lesson;

// --- Copy buttons: the command text comes from the same step objects the tests run.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  try {
    await navigator.clipboard.writeText(button.dataset.command);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
});

// --- Manifests: on a slide an open file scrolls in its own box; it opens at the first field the
// step's prose names (marked), not at the file's top comment. The toggle event does not bubble.
document.addEventListener('toggle', (event) => {
  const mark = event.target.matches('details.manifest[open]') && event.target.querySelector('mark');
  if (!mark) return;
  const box = event.target.querySelector('pre');
  box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
}, true);

// --- Progress: the steps an attendee ticked, per lesson, in localStorage.
const progressKey = (id) => `k8s-patterns:progress:${id}`;
const loadProgress = (id) => new Set(JSON.parse(localStorage.getItem(progressKey(id)) || '[]'));

if (page === 'lesson') {
  const done = loadProgress(lessonId);
  for (const box of document.querySelectorAll('label.done input')) {
    box.checked = done.has(box.dataset.step);
    box.addEventListener('change', () => {
      if (box.checked) done.add(box.dataset.step); else done.delete(box.dataset.step);
      localStorage.setItem(progressKey(lessonId), JSON.stringify([...done]));
    });
  }
}
if (page === 'index') {
  for (const p of document.querySelectorAll('.progress')) {
    const count = loadProgress(p.dataset.lesson).size;
    if (count) p.textContent = `${count} of ${p.dataset.steps} steps done`;
  }
}

// --- Slides: the same page, one section per slide. Arrow keys, Page Up/Down and Space move, and so
// do the on-screen buttons and a swipe (a phone or a laptop without a clicker has no arrow keys);
// "p" opens the presenter view, which follows along through a BroadcastChannel. Each slide has its
// own URL (#slide-N), so a reload or a shared link lands on the same slide.
const slides = [...document.querySelectorAll('.slide')];
const channel = 'BroadcastChannel' in window ? new BroadcastChannel(`k8s-patterns:${lessonId}`) : null;
let current = 0;
const params = new URLSearchParams(location.search);
const inSlides = () => document.body.classList.contains('slides');

function show(index, announce = true) {
  current = Math.max(0, Math.min(slides.length - 1, index));
  slides.forEach((s, i) => s.classList.toggle('current', i === current));
  document.title = document.title.replace(/^\[\d+\/\d+\] /, '');
  if (inSlides()) {
    document.title = `[${current + 1}/${slides.length}] ${document.title}`;
    history.replaceState(null, '', `${location.pathname}${location.search}#slide-${current + 1}`);
    const controls = slideControls();
    controls.querySelector('.slide-number').textContent = `${current + 1} / ${slides.length}`;
    controls.querySelector('.prev').disabled = current === 0;
    controls.querySelector('.next').disabled = current === slides.length - 1;
    fitSlide();
  }
  if (document.body.classList.contains('presenter')) renderPresenterNotes();
  if (announce && channel) channel.postMessage({ slide: current });
}

function setSlides(on) {
  document.body.classList.toggle('slides', on);
  const toggle = document.querySelector('.slides-toggle');
  if (toggle) toggle.setAttribute('aria-pressed', String(on));
  if (!on) {
    // Back to the page: the type sizes fitSlide chose and the slide's URL no longer apply.
    for (const s of slides) s.style.fontSize = '';
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  show(current, false);
}

/** The previous/next bar under a slide, made once. */
function slideControls() {
  let bar = document.querySelector('.slide-controls');
  if (bar) return bar;
  bar = document.createElement('div');
  bar.className = 'slide-controls';
  bar.innerHTML = '<button type="button" class="prev" aria-label="Previous slide">&larr; Previous</button>' +
    '<span class="slide-number" aria-live="polite"></span>' +
    '<button type="button" class="next" aria-label="Next slide">Next &rarr;</button>';
  bar.querySelector('.prev').addEventListener('click', () => show(current - 1));
  bar.querySelector('.next').addEventListener('click', () => show(current + 1));
  document.body.append(bar);
  return bar;
}

/**
 * Scale-to-fit: the slide is a fixed box between the top bar and the controls; its type starts as
 * large as the screen allows and shrinks until nothing is cut off. Code and images are sized in em,
 * so they shrink with the prose and stay readable beside it, and a long step never needs scrolling
 * on a projector.
 */
function fit(box, largest) {
  const fits = () => box.scrollHeight <= box.clientHeight && box.scrollWidth <= box.clientWidth;
  box.style.fontSize = `${largest}px`;
  if (fits()) return;
  let lo = 6, hi = largest;
  for (let i = 0; i < 8; i++) {
    const mid = (lo + hi) / 2;
    box.style.fontSize = `${mid}px`;
    if (fits()) lo = mid; else hi = mid;
  }
  box.style.fontSize = `${lo}px`;
}

// 26 px at 1280×720, 40 px at 1920×1080: the same slide looks the same on either projector.
const largestType = () => Math.min(innerWidth / 48, innerHeight / 27);
// A phone held upright is too narrow to fit a step at a readable size: there the slide scrolls.
const phone = () => innerWidth < 640;
function fitSlide() {
  if (!inSlides()) return;
  const slide = slides[current];
  if (phone()) slide.style.fontSize = '';
  else if (document.body.classList.contains('presenter')) fit(slide, Math.min(slide.clientWidth / 48, slide.clientHeight / 23));
  else fit(slide, largestType());
}

// A slide grows when a hint opens or a Run streams its transcript: fit it again, once per frame.
let refit = 0;
const refitSoon = () => { if (inSlides() && !refit) refit = requestAnimationFrame(() => { refit = 0; fitSlide(); }); };
// Only main: the presenter's ticking clock must not refit the slide every second.
if (document.querySelector('main')) new MutationObserver(refitSoon).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributeFilter: ['hidden', 'open'] });
addEventListener('resize', refitSoon);

function slideFromHash() {
  const match = /^#slide-(\d+)$/.exec(location.hash);
  return match ? Number(match[1]) - 1 : null;
}

/**
 * The presenter view: the current slide on the left; on the right the elapsed time, a preview of
 * the next slide (a scaled copy, so the presenter sees what the room will see), the speaker notes
 * from lesson.md, and the step's hint and solution.
 */
function renderPresenterNotes() {
  let panel = document.querySelector('.presenter-notes');
  if (!panel) {
    panel = document.createElement('aside');
    panel.className = 'presenter-notes';
    panel.setAttribute('aria-label', 'Presenter notes');
    panel.innerHTML = '<p class="clock">Elapsed <strong class="elapsed">0:00</strong> <button type="button" class="restart">Restart</button></p>' +
      '<p class="next-title"></p><div class="next-preview" aria-hidden="true" inert></div><div class="notes"></div><div class="help"></div>';
    panel.querySelector('.restart').addEventListener('click', () => { sessionStorage.setItem(clockKey, String(Date.now())); tick(); });
    document.body.append(panel);
    setInterval(tick, 1000);
    tick();
  }
  const slide = slides[current];
  const next = slides[current + 1];
  panel.querySelector('.next-title').textContent = `Slide ${current + 1} of ${slides.length}. Next: ${next ? titleOf(next) : '(last slide)'}`;
  const preview = panel.querySelector('.next-preview');
  preview.replaceChildren();
  if (next) {
    // A copy without ids, live controls or notes: it is a picture of the next slide, not a second
    // one, and inert, so neither the keyboard nor a screen reader lands on its buttons and links.
    const copy = next.cloneNode(true);
    copy.classList.remove('slide', 'current');
    copy.removeAttribute('id');
    copy.querySelectorAll('.live, .terminal, .program-log, .speaker-notes').forEach((el) => el.remove());
    copy.querySelectorAll('[id]').forEach((el) => el.removeAttribute('id'));
    preview.append(copy);
    fit(preview, preview.clientWidth / 48);
  }
  panel.querySelector('.notes').innerHTML = slide.querySelector('.speaker-notes')?.innerHTML ?? '<p class="none">No notes for this slide.</p>';
  const help = panel.querySelector('.help');
  help.replaceChildren();
  const add = (tag, text) => { const el = document.createElement(tag); el.textContent = text; help.append(el); };
  const hint = slide.querySelector('.hint p')?.textContent;
  const solution = slide.querySelector('.solution code')?.textContent;
  if (hint) add('p', `Hint: ${hint}`);
  if (solution) add('pre', solution);
}

/** A slide's title: its heading or, where it has none (a slide break in the intro), how it starts. */
function titleOf(slide) {
  const heading = slide.querySelector('h1, h2, h3');
  if (heading) return heading.textContent;
  const text = slide.textContent.trim() || slide.querySelector('img')?.alt || '';
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

// Elapsed time since the presenter view opened; kept per tab, so a reload does not restart it.
const clockKey = `k8s-patterns:presenter-start:${lessonId}`;
function tick() {
  if (!sessionStorage.getItem(clockKey)) sessionStorage.setItem(clockKey, String(Date.now()));
  const seconds = Math.floor((Date.now() - Number(sessionStorage.getItem(clockKey))) / 1000);
  const el = document.querySelector('.presenter-notes .elapsed');
  if (el) el.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

if (page === 'lesson') {
  const start = slideFromHash();
  if (params.has('presenter')) document.body.classList.add('presenter');
  if (params.has('slides') || params.has('presenter') || start !== null) setSlides(true);
  show(start ?? 0, false);
  addEventListener('hashchange', () => { const n = slideFromHash(); if (n !== null && n !== current) show(n); });
  document.querySelector('.slides-toggle')?.addEventListener('click', () => setSlides(!inSlides()));
  document.addEventListener('keydown', (event) => {
    if (!inSlides() || event.target.closest('input, textarea')) return;
    if (['ArrowRight', 'PageDown', ' '].includes(event.key)) { event.preventDefault(); show(current + 1); }
    else if (['ArrowLeft', 'PageUp'].includes(event.key)) { event.preventDefault(); show(current - 1); }
    else if (event.key === 'Escape') setSlides(false);
    else if (event.key === 'p') window.open(`${location.pathname}?presenter#slide-${current + 1}`, 'presenter');
  });
  // A horizontal swipe moves like the arrow keys; a vertical one is left to the page.
  let touch = null;
  document.addEventListener('touchstart', (event) => { touch = event.touches[0]; }, { passive: true });
  document.addEventListener('touchend', (event) => {
    const end = event.changedTouches[0];
    if (!inSlides() || !touch || !end) return;
    const dx = end.clientX - touch.clientX, dy = end.clientY - touch.clientY;
    if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) show(current + (dx < 0 ? 1 : -1));
    touch = null;
  });
  channel?.addEventListener('message', (event) => show(event.data.slide, false));
}

// --- Live mode: only when the page is served by `npm start` and a workshop cluster answers.
async function startLive() {
  if (location.protocol === 'file:') return;
  const status = await fetch('/api/status').then((r) => r.json()).catch(() => null);
  if (!status?.live) return;
  document.body.classList.add('live-mode');
  for (const el of document.querySelectorAll('.live, .live-panel')) el.hidden = false;
  for (const step of document.querySelectorAll('section.step')) {
    // A step this cluster cannot run says why, and its buttons stay off: it never shows as passed.
    const reason = status.cannotRun[step.dataset.needs];
    if (reason) {
      step.querySelector('.result').textContent = reason;
      step.querySelectorAll('.live button').forEach((b) => { b.disabled = true; });
    }
  }
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('.live button');
    if (!button) return;
    const section = button.closest('section');
    const output = section.querySelector('.result');
    const action = button.classList.contains('run') ? 'run' : 'check';
    section.querySelectorAll('.live button').forEach((b) => { b.disabled = true; });
    output.textContent = action === 'run' ? 'running…' : 'checking…';
    output.className = 'result';
    const terminal = section.querySelector('.terminal');
    terminal.replaceChildren();
    terminal.hidden = false;
    const url = `/api/lessons/${encodeURIComponent(button.dataset.lesson)}/steps/${encodeURIComponent(button.dataset.step)}/${action}`;
    const end = await streamTranscript(url, terminal).catch((e) => ({ ok: false, message: String(e) }));
    output.textContent = end.ok ? (action === 'run' ? 'done and checked' : 'passed') : (end.message ?? 'failed: see the transcript');
    output.classList.add(end.ok ? 'ok' : 'failed');
    section.querySelectorAll('.live button').forEach((b) => { b.disabled = false; });
    if (end.ok) {
      const box = section.querySelector('label.done input');
      if (!box.checked) box.click();
    }
    if (action === 'run') { drawCharts(); showPrograms(); }
  });
  // EventSource reconnects by itself when the stream drops (the server restarted, a laptop slept).
  const events = new EventSource(`/api/lessons/${encodeURIComponent(lessonId)}/events`);
  events.onmessage = (event) => renderSnapshot(JSON.parse(event.data));
  events.addEventListener('rollout', (event) => streamRollout(JSON.parse(event.data)));
  // A refusal (too many open panels) closes the stream for good; a dropped one is retried.
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED) document.querySelector('.live-panel .resources').textContent = 'The cluster panel is off: the server has too many open panels. Close some pages and reload this one.';
  };
  panelToggle();
  showPrograms();
  setInterval(showPrograms, 2000);
}

/**
 * Posts a Run or Check and shows its transcript as it streams: one JSON event per line. Resolves
 * to the last event, {type: 'end', ok} — or to the server's refusal when it answers with one.
 */
async function streamTranscript(url, terminal) {
  const response = await fetch(url, { method: 'POST' });
  if (!response.headers.get('content-type')?.includes('ndjson')) return response.json();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let last = { ok: false, message: 'the transcript ended early' };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line);
      if (event.type === 'end') last = event;
      else appendEvent(terminal, event);
    }
  }
}

/** One transcript event in the step's terminal pane, as the CLI prints it. */
function appendEvent(terminal, event) {
  const span = document.createElement('span');
  span.className = `t-${event.type}`;
  if (event.type === 'command') span.textContent = `${event.terminal ? `[${event.terminal} terminal] ` : ''}$ ${event.text}\n`;
  else if (event.type === 'output') span.textContent = event.text;
  else if (event.type === 'note') span.textContent = `# ${event.text}\n`;
  else if (event.type === 'progress') {
    // A check's progress replaces its previous line: it says where things stand now.
    if (terminal.lastChild?.className === 't-progress') terminal.lastChild.remove();
    if (!event.text) return;
    span.textContent = `… ${event.text}\n`;
  } else {
    span.classList.add(event.ok ? 'ok' : 'failed');
    span.textContent = `${event.ok ? 'ok' : 'FAIL'}: ${event.text}\n`;
  }
  // Output that did not end its line (`base64 -d`) must not run into the next line.
  if (event.type !== 'output' && terminal.lastChild && !terminal.lastChild.textContent.endsWith('\n')) terminal.append('\n');
  terminal.append(span);
  terminal.scrollTop = terminal.scrollHeight;
}

// The programs running in their own terminals: the end of each log, under the command that started it.
async function showPrograms() {
  const running = await fetch(`/api/lessons/${encodeURIComponent(lessonId)}/programs`).then((r) => r.json()).catch(() => []);
  for (const holder of document.querySelectorAll('.program')) {
    const found = running.find((p) => p.terminal === holder.dataset.terminal);
    const log = holder.querySelector('.program-log');
    log.hidden = !found;
    if (found) log.textContent = `running, pid ${found.pid}:\n${found.tail}`;
  }
}

/**
 * The cluster panel, redrawn from each snapshot the server sends: one table per kind, in the order
 * the lesson declared them, then the namespace's recent events. Readiness is in words and colour.
 */
let chartsShown = false;
function renderSnapshot({ rows, events }) {
  const panel = document.querySelector('.live-panel .resources');
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const tables = kinds.map((kind) => {
    const table = document.createElement('table');
    const own = rows.filter((r) => r.kind === kind);
    table.createCaption().textContent = `${kind} (${own.length})`;
    table.createTHead().innerHTML = '<tr><th scope="col">Name</th><th scope="col">State</th></tr>';
    const body = table.createTBody();
    for (const item of own) {
      const row = body.insertRow();
      row.dataset.kind = item.kind;
      if (item.ready !== undefined) row.className = item.ready ? 'is-ready' : 'not-ready';
      row.insertCell().textContent = item.name;
      row.insertCell().textContent = item.state;
    }
    return table;
  });
  panel.replaceChildren(...(tables.length ? tables : [Object.assign(document.createElement('p'), { textContent: 'Nothing yet: run step 1.' })]));
  renderEvents(events);
  // Charts belong to a lesson in progress: after a reset (the namespace is empty) they go, and
  // they come back from the recordings when the lesson runs again.
  if (!rows.length) { document.querySelector('.chart')?.replaceChildren(); chartsShown = false; }
  else if (!chartsShown) { chartsShown = true; drawCharts(); }
}

function renderEvents(events) {
  const holder = document.querySelector('.live-panel .events');
  if (!events.length) return holder.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No events yet.' }));
  const list = document.createElement('ol');
  for (const e of events) {
    const item = document.createElement('li');
    if (e.type === 'Warning') item.className = 'warning';
    const time = Object.assign(document.createElement('time'), { dateTime: e.time, textContent: new Date(e.time).toLocaleTimeString() });
    item.append(time, ` ${e.reason} ${e.object}: ${e.message}`);
    list.append(item);
  }
  holder.replaceChildren(list);
}

/** In slides mode the panel is off the slide; this button puts it beside the slide and back. */
function panelToggle() {
  const button = Object.assign(document.createElement('button'), { type: 'button', className: 'panel-toggle', textContent: 'Cluster panel' });
  button.setAttribute('aria-pressed', 'false');
  button.addEventListener('click', () => {
    const on = document.body.classList.toggle('show-panel');
    button.setAttribute('aria-pressed', String(on));
    refitSoon();
  });
  document.querySelector('nav')?.append(button);
}

// --- The rollout chart: ready pods of the old version and the new over time, one chart per step that
// records a rollout. Saved recordings come from the server; a rollout in progress streams its points.
const charts = new Map(); // app -> { recordedAt, points, live }

async function drawCharts() {
  const holder = document.querySelector('.chart');
  if (!holder) return;
  for (const app of holder.dataset.apps.split(' ')) {
    const recording = await fetch(`/api/recordings/${lessonId}/${app}`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (recording?.points?.length) charts.set(app, recording); else charts.delete(app);
  }
  renderCharts();
}

function streamRollout({ app, point }) {
  const known = charts.get(app);
  // The first point (t = 0) starts a new recording; the old chart of this app gives way.
  const chart = point.t === 0 || !known?.live ? { recordedAt: new Date(Date.now() - point.t).toISOString(), points: [], live: true } : known;
  chart.points.push(point);
  charts.set(app, chart);
  chartsShown = true;
  renderCharts();
}

function renderCharts() {
  const holder = document.querySelector('.chart');
  if (!holder) return;
  holder.replaceChildren(...holder.dataset.apps.split(' ').filter((app) => charts.has(app)).map((app) => chart(app, charts.get(app))));
}

/**
 * A step chart in SVG, sized to be read from the back of a room: axes with ticks and units, a
 * legend, old and new in different colours and dashes (so a line on top of the other still shows),
 * and when the recording was made. A count holds until the next change, hence steps, not slopes.
 */
function chart(app, { recordedAt, points, live }) {
  const w = 420, h = 260, left = 40, right = 14, top = 36, bottom = 50;
  const tMax = Math.max(1000, live ? Date.now() - Date.parse(recordedAt) : 0, points.at(-1).t);
  const yMax = Math.max(1, ...points.map((p) => Math.max(p.old, p.new)));
  const x = (t) => left + (t / tMax) * (w - left - right);
  const y = (v) => h - bottom - (v / yMax) * (h - top - bottom);
  const path = (key) => points.map((p, i) => `${i ? `H${x(p.t).toFixed(1)}V` : `M${x(p.t).toFixed(1)},`}${y(p[key]).toFixed(1)}`).join('') + `H${x(tMax).toFixed(1)}`;
  const yStep = yMax <= 6 ? 1 : Math.ceil(yMax / 5);
  const yTicks = Array.from({ length: Math.floor(yMax / yStep) + 1 }, (_, i) => i * yStep);
  const seconds = tMax / 1000;
  const xStep = [0.5, 1, 2, 5, 10, 15, 30, 60].find((s) => seconds / s <= 6) ?? 120;
  const xTicks = Array.from({ length: Math.floor(seconds / xStep) + 1 }, (_, i) => i * xStep);
  const grid = yTicks.map((v) => `<line class="grid" x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}"/><text class="tick" x="${left - 8}" y="${y(v) + 5}" text-anchor="end">${v}</text>`).join('') +
    xTicks.map((s) => `<line class="axis" x1="${x(s * 1000)}" x2="${x(s * 1000)}" y1="${h - bottom}" y2="${h - bottom + 5}"/><text class="tick" x="${x(s * 1000)}" y="${h - bottom + 24}" text-anchor="middle">${s}</text>`).join('');
  const when = new Date(recordedAt).toLocaleTimeString();
  const figure = document.createElement('figure');
  figure.dataset.app = app;
  figure.innerHTML = `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="Ready pods of the old and the new version during the ${app} rollout, ${points.length} changes over ${seconds.toFixed(1)} seconds">
${grid}
<line class="axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"/><line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"/>
<text class="unit" x="${left}" y="${top - 12}">ready pods</text>
<text class="unit" x="${w - right}" y="${h - 6}" text-anchor="end">seconds</text>
<path d="${path('old')}" class="series old" data-points="${points.length}"/><path d="${path('new')}" class="series new" data-points="${points.length}"/>
<g class="legend"><line class="series old" x1="${w - 190}" x2="${w - 165}" y1="${top - 16}" y2="${top - 16}"/><text x="${w - 160}" y="${top - 11}">old</text>
<line class="series new" x1="${w - 110}" x2="${w - 85}" y1="${top - 16}" y2="${top - 16}"/><text x="${w - 80}" y="${top - 11}">new</text></g>
</svg><figcaption><strong>${app}</strong>: ${live ? `recording since ${when}…` : `recorded at ${when}, ${seconds.toFixed(1)} s`}</figcaption>`;
  return figure;
}

startLive();
