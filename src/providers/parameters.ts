/** The sampling parameters the lab names itself (checked when the model is saved); the providers spell them differently. */
export interface KnownParameters {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

const KNOWN = new Set(['temperature', 'maxTokens', 'topP', 'stop', 'seed']);

/** Known parameters apart, other keys as given, less the keys the client sets itself (overriding model, messages or stream breaks every call). */
export function splitParameters(
  parameters: Record<string, unknown>,
  reserved: ReadonlySet<string>,
): { known: KnownParameters; extra: Record<string, unknown> } {
  const known: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined || value === null) continue;
    if (KNOWN.has(key)) known[key] = key === 'stop' && typeof value === 'string' ? [value] : value;
    else if (!reserved.has(key)) extra[key] = value;
  }
  return { known: known as KnownParameters, extra };
}

/** Copies the entries whose value is defined, so an unset parameter is absent from the body rather than null. */
export function definedEntries(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = value;
  return out;
}

/** Words as whitespace separates them: how ECHO and the fake server count tokens. */
export function countWords(text: string | null): number {
  if (!text) return 0;
  const word = /\S+/g;
  let count = 0;
  while (word.exec(text) !== null) count++;
  return count;
}
