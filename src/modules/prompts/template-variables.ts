import Mustache from 'mustache';

// Mustache keeps every parsed template in a global cache that never shrinks; templates are parsed once per version here.
Mustache.templateCache = undefined;

type Token = [type: string, value: string, start: number, end: number, children?: Token[]];

/**
 * The input fields a mustache template reads, in order of first use. Names inside a section
 * resolve against the section's items, so only the section's own name is a row field.
 * Throws with mustache's message on a malformed template or a partial.
 */
export function templateVariables(template: string): string[] {
  const tokens = Mustache.parse(template) as Token[];
  const names = new Set<string>();
  for (const [type, value] of tokens) {
    if (type === '>') throw new Error(`partials ({{> ${value}}}) are not supported; put the text in the template`);
    if (type === 'name' || type === '&' || type === '#' || type === '^') {
      if (value !== '.') names.add(value);
    }
  }
  return [...names];
}
