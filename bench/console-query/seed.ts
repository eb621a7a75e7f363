/**
 * The console-query dataset, written in SQL straight into a migrated database: one project, 200
 * experiments (a few archived), 4 models, 6 prompts with 2 or 3 versions, and 3 to 5 runs for
 * most experiments (none for some). Ids, names and timestamps all come from one seeded PRNG, so
 * every run of the bench pages through exactly the same rows and gets the same responses.
 */
import type postgres from 'postgres';
import { random } from '../lib/random.js';

export const PROJECT_NAME = 'bench';
const EXPERIMENTS = 200;

const MODELS = [
  { name: 'gpt-4o', provider: 'OPENAI', model_name: 'gpt-4o-2024-08-06', base_url: null, input: 2.5, output: 10 },
  { name: 'claude-sonnet', provider: 'ANTHROPIC', model_name: 'claude-3-5-sonnet-20241022', base_url: null, input: 3, output: 15 },
  { name: 'llama-3.1-70b (vLLM)', provider: 'OPENAI_COMPATIBLE', model_name: 'meta-llama/Llama-3.1-70B-Instruct', base_url: 'http://vllm.internal:8000/v1', input: null, output: null },
  { name: 'echo', provider: 'ECHO', model_name: 'echo', base_url: null, input: null, output: null },
] as const;

/** Each prompt's versions, oldest first: [system, template, variables]. */
const PROMPTS: { name: string; description: string; versions: [string | null, string, string[]][] }[] = [
  {
    name: 'qa-with-context',
    description: 'Answer a question from a retrieved passage.',
    versions: [
      [null, 'Context: {{context}}\nQuestion: {{question}}\nAnswer:', ['context', 'question']],
      ['Answer only from the context. Say "unknown" otherwise.', 'Context: {{context}}\nQuestion: {{question}}', ['context', 'question']],
      ['Answer only from the context, in one sentence.', '<context>{{context}}</context>\n{{question}}', ['context', 'question']],
    ],
  },
  {
    name: 'summarize-article',
    description: 'Three-sentence summary of a news article.',
    versions: [
      [null, 'Summarize in three sentences:\n{{article}}', ['article']],
      ['You write neutral, factual summaries.', 'Summarize for a {{audience}} reader in three sentences:\n{{article}}', ['audience', 'article']],
    ],
  },
  {
    name: 'classify-ticket',
    description: 'Route a support ticket to one of the queues.',
    versions: [
      ['Reply with one word: billing, bug, account or other.', '{{ticket}}', ['ticket']],
      ['Reply with one word: billing, bug, account, feature or other.', 'Subject: {{subject}}\n{{ticket}}', ['subject', 'ticket']],
      ['Reply with JSON {"queue": ...}.', 'Subject: {{subject}}\n{{ticket}}', ['subject', 'ticket']],
    ],
  },
  {
    name: 'extract-entities',
    description: 'People, organisations and dates as JSON.',
    versions: [
      ['Return JSON with keys people, organisations, dates.', '{{text}}', ['text']],
      ['Return JSON with keys people, organisations, dates; ISO dates.', 'Text:\n{{text}}', ['text']],
    ],
  },
  {
    name: 'translate-fr-en',
    description: 'French to English, keeping the register.',
    versions: [
      [null, 'Translate to English:\n{{source}}', ['source']],
      ['Keep names and the register of the source.', 'Translate from French to English:\n{{source}}', ['source']],
    ],
  },
  {
    name: 'judge-answer',
    description: 'LLM judge: score an answer against the reference.',
    versions: [
      ['Score 1 to 5. Reply with the number only.', 'Reference: {{expected}}\nAnswer: {{output}}', ['expected', 'output']],
      ['Score 1 to 5 for correctness, then one line of reasons.', 'Question: {{question}}\nReference: {{expected}}\nAnswer: {{output}}', ['question', 'expected', 'output']],
      ['Score 1 to 5 for correctness and 1 to 5 for style, as JSON.', 'Question: {{question}}\nReference: {{expected}}\nAnswer: {{output}}', ['question', 'expected', 'output']],
    ],
  },
];

// Names and texts are ASCII: autocannon decodes each chunk of a response on its own, so a
// character split between two chunks would read as a body unlike the expected one.
const STUDIES = [
  'Temperature sweep',
  'Few-shot vs zero-shot',
  'System prompt ablation',
  'Chain-of-thought',
  'Context length',
  'Model comparison',
  'JSON output format',
  'Retrieval top-k',
  'Prompt v2 regression check',
  'Cost per correct answer',
];
const TASKS = [
  'support triage',
  'contract QA',
  'news summaries',
  'entity extraction',
  'French-English translation',
  'math word problems',
  'code review comments',
  'product search queries',
];
const TAGS = ['baseline', 'ablation', 'prod-candidate', 'cost', 'latency', 'quality', 'regression', 'gpt-4o', 'claude', 'llama'];
const EVALUATORS = [
  { kind: 'EXACT_MATCH', name: 'exact', params: { caseSensitive: false } },
  { kind: 'TOKEN_F1', name: 'f1', params: {} },
  { kind: 'ROUGE_L', name: 'rouge_l', params: {} },
  { kind: 'JSON_VALID', name: 'json_valid', params: {} },
];

const HOUR = 3_600_000;

/** Fills the database; returns what it wrote, for the progress log. */
export async function seed(sql: postgres.Sql): Promise<Record<string, number>> {
  const next = random(20260101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const between = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  /** `count` distinct items, in a random order: a run's models and prompt versions are ordered arrays. */
  const sample = <T>(items: readonly T[], count: number): T[] => {
    const pool = [...items];
    return Array.from({ length: count }, () => pool.splice(Math.floor(next() * pool.length), 1)[0]!);
  };
  const uuid = () => {
    const hex = Array.from({ length: 4 }, () => Math.floor(next() * 2 ** 32).toString(16).padStart(8, '0')).join('');
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const at = (ms: number) => new Date(ms).toISOString();
  const start = Date.UTC(2025, 0, 6, 9, 0, 0);

  const projectId = uuid();
  await sql`insert into projects ${sql({ id: projectId, name: PROJECT_NAME, created_at: at(start - 30 * 24 * HOUR) })}`;

  const models = MODELS.map((m, i) => ({
    id: uuid(),
    project_id: projectId,
    name: m.name,
    provider: m.provider,
    model_name: m.model_name,
    base_url: m.base_url,
    parameters: sql.json({ temperature: 0.2, max_tokens: 512 }),
    input_cost_per_mtok: m.input,
    output_cost_per_mtok: m.output,
    created_at: at(start - (20 - i) * 24 * HOUR),
  }));
  await sql`insert into models ${sql(models)}`;

  const prompts = PROMPTS.map((p, i) => ({ id: uuid(), project_id: projectId, name: p.name, description: p.description, created_at: at(start - (15 - i) * 24 * HOUR) }));
  await sql`insert into prompts ${sql(prompts)}`;
  const versions = PROMPTS.flatMap((p, i) =>
    p.versions.map(([system, template, variables], v) => ({
      id: uuid(),
      project_id: projectId,
      prompt_id: prompts[i]!.id,
      version: v + 1,
      system,
      template,
      variables,
      created_at: at(start - (15 - i) * 24 * HOUR + v * 7 * 24 * HOUR),
    })),
  );
  await sql`insert into prompt_versions ${sql(versions)}`;

  const experiments: Record<string, unknown>[] = [];
  const runs: Record<string, unknown>[] = [];
  const seen = new Map<string, number>();
  let createdAt = start;
  for (let i = 0; i < EXPERIMENTS; i++) {
    createdAt += between(2, 40) * HOUR + between(0, 3_599_999);
    const study = pick(STUDIES);
    const task = pick(TASKS);
    const base = `${study} on ${task}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const id = uuid();
    experiments.push({
      id,
      project_id: projectId,
      name: n === 1 ? base : `${base} (${n})`,
      description: `${study} for ${task}: ${between(50, 500)} rows of the held-out set, ${pick(['greedy decoding', 'temperature 0.7', 'three repetitions', 'the cheapest model first'])}.`,
      hypothesis: next() < 0.6 ? `${pick(['Accuracy', 'Cost per row', 'p95 latency', 'Format errors'])} ${pick(['improves', 'drops', 'does not change'])} by at least ${between(2, 20)}%.` : null,
      tags: sample(TAGS, between(1, 3)),
      archived_at: i % 25 === 7 ? at(createdAt + 30 * 24 * HOUR) : null,
      created_at: at(createdAt),
      updated_at: at(createdAt + between(0, 48) * HOUR),
    });
    const runCount = next() < 0.08 ? 0 : between(3, 5);
    let runAt = createdAt;
    for (let r = 0; r < runCount; r++) {
      runAt += between(10, 36 * 60) * 60_000 + between(0, 59_999);
      const newest = r === runCount - 1;
      const status = newest ? pick(['RUNNING', 'QUEUED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'CANCELLING']) : pick(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
      const started = status === 'QUEUED' ? null : runAt + between(1, 120) * 1000;
      const finished = started !== null && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status) ? started + between(30, 3600) * 1000 : null;
      runs.push({
        id: uuid(),
        project_id: projectId,
        experiment_id: id,
        status,
        prompt_version_ids: sample(versions, between(1, 3)).map((v) => v.id),
        model_ids: sample(models, between(1, 2)).map((m) => m.id),
        evaluators: sql.json(sample(EVALUATORS, between(1, 2))),
        repetitions: pick([1, 1, 1, 3]),
        error: status === 'FAILED' ? pick(['Budget exceeded after 1,204 tasks.', 'Dataset version is not READY.', 'Provider returned 429 for 10 minutes.']) : null,
        created_at: at(runAt),
        started_at: started === null ? null : at(started),
        finished_at: finished === null ? null : at(finished),
      });
    }
  }
  await sql`insert into experiments ${sql(experiments)}`;
  await sql`insert into runs ${sql(runs)}`;
  await sql`analyze`;
  return {
    experiments: experiments.length,
    archived: experiments.filter((e) => e.archived_at !== null).length,
    models: models.length,
    prompts: prompts.length,
    promptVersions: versions.length,
    runs: runs.length,
  };
}
