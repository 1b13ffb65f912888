// Filling `{{ name }}` placeholders. Deliberately tiny: no loops, no conditions, no expressions.
// A configuration template only swaps values into a file that is otherwise the same for every
// environment; anything cleverer belongs in the app or in the manifests.

// A name is what a ConfigMap key may be: letters, digits, "-", "_" and ".". Spaces inside the braces
// are optional. Text that does not match, like "{{ not a name! }}", is left as it is.
const placeholder = /\{\{\s*([A-Za-z0-9._-]+)\s*\}\}/g;

/** The names of the placeholders in template that params has no value for, each once, in order. */
export function missingParams(template: string, params: ReadonlyMap<string, string>): string[] {
  const names = [...template.matchAll(placeholder)].map((match) => match[1]!);
  return [...new Set(names.filter((name) => !params.has(name)))];
}

/** The template with every placeholder replaced; call missingParams() first. */
export function render(template: string, params: ReadonlyMap<string, string>): string {
  // A replacer function, not a replacement string: in a string, "$&" or "$1" inside a value (a
  // password, say) would be expanded by replace() instead of copied.
  return template.replace(placeholder, (_match, name: string) => params.get(name)!);
}
