import Mustache from 'mustache';
import type { SecretBox } from '../../common/secret-box.js';
import type { ModelSnapshot, PromptVersionSnapshot } from '../../db/schema.js';
import { checkEvaluatorParams, type EvaluatorKind } from '../../evaluators/registry.js';
import type { RunSnapshot } from '../runs/tasks.repo.js';
import { createProviderClient } from '../../providers/index.js';
import { DEFAULT_MAX_TOKENS, type ProviderClient } from '../../providers/types.js';

/** Strings go in as they are (no HTML escaping); other values as JSON, so `{{row}}` of an object reads as data. */
const AS_TEXT = { escape: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)) };

/** Framing tokens a chat API adds per message, on top of its text; part of the worst case a budget reserves. */
const TOKENS_PER_MESSAGE = 16;

export interface ExecModel {
  snapshot: ModelSnapshot;
  client: ProviderClient;
  maxTokens: number;
}

/** An evaluator of the run, its params checked again by the registry (they were checked at startRun). */
export interface ExecEvaluator {
  kind: EvaluatorKind;
  name: string;
  params: unknown;
  /** LLM_JUDGE: the judge model, with its client. */
  judge: ExecModel | null;
}

export interface RenderedPrompt {
  system: string | null;
  prompt: string;
}

/**
 * What a worker needs to run one run's tasks, built once per run from its frozen snapshot:
 * provider clients with opened keys, and the templates parsed once (a Writer of the run's own,
 * since the prompts module keeps mustache's global cache off).
 */
export class RunContext {
  readonly models = new Map<string, ExecModel>();
  readonly evaluators: ExecEvaluator[] = [];
  readonly projectId: string;
  readonly experimentId: string;
  /** The request that started the run, for the links of its tasks' spans. */
  readonly traceParent: string | null;
  private readonly prompts = new Map<string, PromptVersionSnapshot>();
  private readonly writer = new Mustache.Writer();

  constructor(
    readonly runId: string,
    snapshot: RunSnapshot,
    secrets: SecretBox,
  ) {
    this.projectId = snapshot.projectId;
    this.experimentId = snapshot.experimentId;
    this.traceParent = snapshot.traceParent;
    for (const m of snapshot.models) this.models.set(m.id, execModel(m, secrets));
    for (const p of snapshot.promptVersions) this.prompts.set(p.id, p);
    for (const e of snapshot.evaluators) {
      const kind = e.kind as EvaluatorKind;
      const check = checkEvaluatorParams(kind, e.params);
      if (!check.ok) throw new Error(`evaluator ${e.name}: ${check.message}`);
      const judge = snapshot.judges[e.name];
      this.evaluators.push({ kind, name: e.name, params: check.params, judge: judge ? execModel(judge, secrets) : null });
    }
  }

  /** The system and user messages of a prompt version over a row's input. */
  render(promptVersionId: string, input: Record<string, unknown>): RenderedPrompt {
    const version = this.prompts.get(promptVersionId);
    if (!version) throw new Error(`prompt version ${promptVersionId} is not in the run's snapshot`);
    return {
      system: version.system === null ? null : this.writer.render(version.system, input, undefined, AS_TEXT),
      prompt: this.writer.render(version.template, input, undefined, AS_TEXT),
    };
  }

  /**
   * The most a call can cost: every byte of the messages a token (no tokenizer counts more
   * tokens than UTF-8 bytes) plus framing, and the model's max tokens of output.
   */
  worstCostUsd(modelId: string, rendered: RenderedPrompt): number {
    const model = this.models.get(modelId)!;
    const bytes = Buffer.byteLength(rendered.prompt) + (rendered.system === null ? 0 : Buffer.byteLength(rendered.system));
    const promptTokens = bytes + TOKENS_PER_MESSAGE * (rendered.system === null ? 1 : 2);
    return costUsd(model.snapshot, promptTokens, model.maxTokens);
  }
}

function execModel(m: ModelSnapshot, secrets: SecretBox): ExecModel {
  const apiKey = m.apiKeyCiphertext ? secrets.open(m.apiKeyCiphertext) : null;
  const client = createProviderClient({ id: m.id, provider: m.provider, modelName: m.modelName, baseUrl: m.baseUrl, apiKey, parameters: m.parameters });
  const maxTokens = typeof m.parameters.maxTokens === 'number' ? m.parameters.maxTokens : DEFAULT_MAX_TOKENS;
  return { snapshot: m, client, maxTokens };
}

/** Cost at the model's prices (USD per million tokens); 0 when it has none. */
export function costUsd(model: ModelSnapshot, promptTokens: number, completionTokens: number): number {
  return (promptTokens * (model.inputCostPerMTok ?? 0) + completionTokens * (model.outputCostPerMTok ?? 0)) / 1_000_000;
}
