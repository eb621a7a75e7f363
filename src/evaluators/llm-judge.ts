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

/**
 * The judge's messages: the rubric, the task's input and expected answer, and the response, then
 * how to answer. The judge may reason first; its score is the number on its last `SCORE:` line.
 */
export function judgePrompt(params: LlmJudgeParams, input: unknown, expected: unknown, output: string): { system: string; prompt: string } {
  const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
  return {
    system:
      'You are an impartial judge of the responses of a language model. Score the response against the rubric only. ' +
      'You may explain briefly; end your reply with a line of the form `SCORE: <number>` using the scale the rubric gives.',
    prompt: `# Rubric\n${params.rubric}\n\n# Input\n${asText(input)}\n\n# Expected answer\n${asText(expected)}\n\n# Response to judge\n${output}\n\n# Your score\nEnd with a line \`SCORE: <number>\`.`,
  };
}

const SCORE_LINE = /SCORE:\s*\**\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)/gi;
const BARE_NUMBER = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

/** The judge's score: the number of its last `SCORE:` line, or a reply that is only a number; null when it gave none. */
export function parseJudgeScore(reply: string): number | null {
  let last: string | undefined;
  for (const match of reply.matchAll(SCORE_LINE)) last = match[1];
  last ??= BARE_NUMBER.exec(reply)?.[1];
  if (last === undefined) return null;
  const value = Number(last);
  return Number.isFinite(value) ? value : null;
}
