/** JSON_VALID: 1 if the whole output parses as JSON (JSON.parse; surrounding whitespace allowed), else 0. No params; expected is ignored. */
import { noParams, type ParamsCheck } from './params.js';

export type JsonValidParams = Record<string, never>;

export function checkJsonValidParams(params: unknown): ParamsCheck<JsonValidParams> {
  return noParams(params, 'JSON_VALID');
}

export function scoreJsonValid(output: string): number {
  try {
    JSON.parse(output);
    return 1;
  } catch {
    return 0;
  }
}
