/** LLM_JUDGE: scored by a judge model outside this folder (it needs provider calls); only its params are checked here. */
import { paramsObject, requiredText, type ParamsCheck } from './params.js';

export interface LlmJudgeParams {
  modelId: string;
  rubric: string;
}

export function checkLlmJudgeParams(params: unknown): ParamsCheck<LlmJudgeParams> {
  const record = paramsObject(params, 'LLM_JUDGE', ['modelId', 'rubric']);
  if (!record.ok) return record;
  const modelId = requiredText(record.params, 'modelId');
  if (!modelId.ok) return modelId;
  const rubric = requiredText(record.params, 'rubric');
  if (!rubric.ok) return rubric;
  return { ok: true, params: { modelId: modelId.params, rubric: rubric.params } };
}
