/** Shared parameter checking for the evaluators: params is an object (absent counts as `{}`) with only the keys a kind takes. */

export type ParamsCheck<P> = { ok: true; params: P } | { ok: false; message: string };

/** The params object, or a message; unknown keys are refused so a misspelt option (`casesensitive`) never goes unnoticed. */
export function paramsObject(params: unknown, kind: string, allowed: readonly string[]): ParamsCheck<Record<string, unknown>> {
  if (params === undefined || params === null) return { ok: true, params: {} };
  if (typeof params !== 'object' || Array.isArray(params)) {
    return { ok: false, message: `params: must be an object (${describeAllowed(kind, allowed)})` };
  }
  const record = params as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) return { ok: false, message: `params.${key}: unknown parameter (${describeAllowed(kind, allowed)})` };
  }
  return { ok: true, params: record };
}

export function optionalBoolean(record: Record<string, unknown>, key: string, fallback: boolean): ParamsCheck<boolean> {
  const value = record[key];
  if (value === undefined) return { ok: true, params: fallback };
  if (typeof value !== 'boolean') return { ok: false, message: `params.${key}: must be true or false` };
  return { ok: true, params: value };
}

export function requiredText(record: Record<string, unknown>, key: string): ParamsCheck<string> {
  const value = record[key];
  if (value === undefined) return { ok: false, message: `params.${key}: required` };
  if (typeof value !== 'string') return { ok: false, message: `params.${key}: must be a string` };
  if (value.length === 0) return { ok: false, message: `params.${key}: must not be empty` };
  return { ok: true, params: value };
}

/** For kinds with no parameters. */
export function noParams(params: unknown, kind: string): ParamsCheck<Record<string, never>> {
  const checked = paramsObject(params, kind, []);
  return checked.ok ? { ok: true, params: {} } : checked;
}

function describeAllowed(kind: string, allowed: readonly string[]): string {
  return allowed.length === 0 ? `${kind} takes no parameters` : `${kind} takes ${allowed.join(', ')}`;
}
