// The Prometheus text exposition format (version 0.0.4), the one thing the adapter must get exactly
// right: a scrape with one malformed line is rejected whole.
//
//   # HELP http_requests_total Requests answered, by route and status.
//   # TYPE http_requests_total counter
//   http_requests_total{path="/info",status="200"} 3

export const contentType = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

export function render(families: MetricFamily[]): string {
  return families.map(renderFamily).join('');
}

function renderFamily(family: MetricFamily): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) lines.push(`${family.name}${renderLabels(sample.labels)} ${renderValue(sample.value)}`);
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

// A label value sits between double quotes, so a quote in it must be escaped, as must the
// backslash that does the escaping and a newline (a sample must stay on one line). A request path
// is user input: without this, one crafted URL could break every scrape of the pod.
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

// HELP text is not quoted, so only the backslash and the newline need escaping there.
export function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

// Prometheus spells the special values its own way; JavaScript would print "Infinity".
function renderValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
