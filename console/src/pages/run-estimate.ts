/** What a run would be, as the console can tell before starting it (the API offers no estimate). */
export interface RunEstimateInput {
  rows: number;
  sampleLimit: number | null;
  repetitions: number;
  /** Inputs of the first rows, to estimate the rendered prompt's size. */
  sampleInputs: unknown[];
  promptVersions: { system?: string | null; template: string }[];
  models: { parameters: unknown; inputCostPerMTok?: number | null; outputCostPerMTok?: number | null }[];
}

/** The output tokens the worker reserves when a model sets no maxTokens (docs/architecture.md, maxCostUsd). */
const DEFAULT_MAX_TOKENS = 1024;
/** Tokens the worker counts per message beyond its bytes. */
const TOKENS_PER_MESSAGE = 16;

const bytes = (text: string) => new TextEncoder().encode(text).length;

/**
 * Tasks = rows x prompt versions x models x repetitions. The worst case follows the worker's
 * reservation: every byte of the messages a token, plus maxTokens of output, at the model's prices;
 * the row's share is the mean size of the sampled inputs.
 */
export function estimateRun(input: RunEstimateInput): { tasks: number; worstCaseUsd: number; unpricedModels: number } {
  const rows = input.sampleLimit ? Math.min(input.rows, input.sampleLimit) : input.rows;
  const callsPerPair = rows * input.repetitions;
  const tasks = callsPerPair * input.promptVersions.length * input.models.length;
  const rowBytes = input.sampleInputs.length ? input.sampleInputs.reduce<number>((sum, row) => sum + bytes(JSON.stringify(row)), 0) / input.sampleInputs.length : 0;
  let worstCaseUsd = 0;
  for (const prompt of input.promptVersions) {
    const messages = prompt.system ? 2 : 1;
    const inputTokens = bytes(prompt.template) + bytes(prompt.system ?? '') + rowBytes + TOKENS_PER_MESSAGE * messages;
    for (const model of input.models) {
      const maxTokens = Number((model.parameters as { maxTokens?: unknown } | null)?.maxTokens) || DEFAULT_MAX_TOKENS;
      const perCall = (inputTokens * (model.inputCostPerMTok ?? 0) + maxTokens * (model.outputCostPerMTok ?? 0)) / 1e6;
      worstCaseUsd += perCall * callsPerPair;
    }
  }
  const unpricedModels = input.models.filter((m) => m.inputCostPerMTok == null && m.outputCostPerMTok == null).length;
  return { tasks, worstCaseUsd, unpricedModels };
}
