import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatNumber, formatUsd } from '../format';
import { graphql } from '../gql';
import type { EvaluatorKind, StartRunFormChoicesQuery } from '../gql/graphql';
import { estimateRun } from './run-estimate';

const ChoicesDocument = graphql(`
  query StartRunFormChoices {
    datasets(first: 30) {
      nodes {
        id
        name
        versions(first: 5) {
          nodes {
            id
            version
            status
            rowCount
          }
        }
      }
    }
    prompts(first: 30) {
      nodes {
        id
        name
        versions(first: 5) {
          nodes {
            id
            version
            system
            template
          }
        }
      }
    }
    models(first: 50) {
      nodes {
        id
        name
        provider
        parameters
        inputCostPerMTok
        outputCostPerMTok
      }
    }
  }
`);

const PreviewDocument = graphql(`
  query StartRunPreview($id: ID!) {
    node(id: $id) {
      id
      ... on DatasetVersion {
        preview(limit: 20) {
          input
        }
      }
    }
  }
`);

const StartRunDocument = graphql(`
  mutation ConsoleStartRun($input: StartRunInput!) {
    startRun(input: $input) {
      id
    }
  }
`);

const EVALUATOR_KINDS: EvaluatorKind[] = ['EXACT_MATCH', 'CONTAINS', 'REGEX', 'JSON_VALID', 'TOKEN_F1', 'BLEU', 'ROUGE_L', 'LLM_JUDGE'];

interface EvaluatorDraft {
  kind: EvaluatorKind;
  name: string;
  params: string;
}

type Choices = StartRunFormChoicesQuery;

function toggle(list: string[], id: string): string[] {
  return list.includes(id) ? list.filter((x) => x !== id) : [...list, id];
}

export function StartRunForm({ experimentId, onStarted }: { experimentId: string; onStarted(): void }) {
  const [{ data, error }] = useQuery({ query: ChoicesDocument });
  return (
    <section className="card" aria-labelledby="start-run">
      <h2 id="start-run">Start a run</h2>
      {error && <ErrorNotice error={error} />}
      {data ? <StartRunFields choices={data} experimentId={experimentId} onStarted={onStarted} /> : !error && <p className="muted">Loading choices…</p>}
    </section>
  );
}

function StartRunFields({ choices, experimentId, onStarted }: { choices: Choices; experimentId: string; onStarted(): void }) {
  const navigate = useNavigate();
  const readyVersions = choices.datasets.nodes.flatMap((d) =>
    d.versions.nodes.filter((v) => v.status === 'READY').map((v) => ({ ...v, label: `${d.name} v${v.version} (${v.rowCount ?? 0} rows)` })),
  );
  const promptVersions = choices.prompts.nodes.flatMap((p) => p.versions.nodes.map((v) => ({ ...v, label: `${p.name} v${v.version}` })));
  const [datasetVersionId, setDatasetVersionId] = useState(readyVersions[0]?.id ?? '');
  const [promptVersionIds, setPromptVersionIds] = useState<string[]>([]);
  const [modelIds, setModelIds] = useState<string[]>([]);
  const [evaluators, setEvaluators] = useState<EvaluatorDraft[]>([{ kind: 'EXACT_MATCH', name: '', params: '' }]);
  const [repetitions, setRepetitions] = useState(1);
  const [concurrency, setConcurrency] = useState('');
  const [sampleLimit, setSampleLimit] = useState('');
  const [maxCostUsd, setMaxCostUsd] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching, error }, startRun] = useMutation(StartRunDocument);
  const [preview] = useQuery({ query: PreviewDocument, variables: { id: datasetVersionId }, pause: !datasetVersionId });

  const previewRows = preview.data?.node && 'preview' in preview.data.node ? preview.data.node.preview : [];
  const estimate = estimateRun({
    rows: readyVersions.find((v) => v.id === datasetVersionId)?.rowCount ?? 0,
    sampleLimit: sampleLimit ? Number(sampleLimit) : null,
    repetitions,
    sampleInputs: previewRows.map((r) => r.input),
    promptVersions: promptVersions.filter((p) => promptVersionIds.includes(p.id)),
    models: choices.models.nodes.filter((m) => modelIds.includes(m.id)),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    let parsed: { kind: EvaluatorKind; name: string | null; params: unknown }[];
    try {
      parsed = evaluators.map((e) => ({ kind: e.kind, name: e.name.trim() || null, params: e.params.trim() ? JSON.parse(e.params) : null }));
    } catch {
      setFormError('Evaluator params must be JSON, e.g. {"caseSensitive": false}.');
      return;
    }
    const result = await startRun({
      input: {
        experimentId,
        datasetVersionId,
        promptVersionIds,
        modelIds,
        evaluators: parsed,
        repetitions,
        concurrency: concurrency ? Number(concurrency) : null,
        sampleLimit: sampleLimit ? Number(sampleLimit) : null,
        maxCostUsd: maxCostUsd ? Number(maxCostUsd) : null,
      },
    });
    if (result.data) {
      onStarted();
      navigate(`/runs/${result.data.startRun.id}`);
    }
  };

  const setEvaluator = (index: number, change: Partial<EvaluatorDraft>) =>
    setEvaluators((list) => list.map((e, i) => (i === index ? { ...e, ...change } : e)));

  return (
    <form className="start-run" onSubmit={submit} aria-label="Start a run">
      <label>
        Dataset version
        <select value={datasetVersionId} onChange={(e) => setDatasetVersionId(e.target.value)} required>
          {readyVersions.length === 0 && <option value="">No READY dataset version: upload one first</option>}
          {readyVersions.map((v) => (
            <option key={v.id} value={v.id}>
              {v.label}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Prompt versions</legend>
        {promptVersions.length === 0 && <p className="muted">No prompt yet.</p>}
        {promptVersions.map((v) => (
          <label key={v.id} className="check">
            <input type="checkbox" checked={promptVersionIds.includes(v.id)} onChange={() => setPromptVersionIds((l) => toggle(l, v.id))} />
            {v.label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Models</legend>
        {choices.models.nodes.length === 0 && <p className="muted">No model yet.</p>}
        {choices.models.nodes.map((m) => (
          <label key={m.id} className="check">
            <input type="checkbox" checked={modelIds.includes(m.id)} onChange={() => setModelIds((l) => toggle(l, m.id))} />
            {m.name} <span className="muted">({m.provider})</span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Evaluators</legend>
        {evaluators.map((e, i) => (
          <div key={i} className="row">
            <label>
              Kind
              <select value={e.kind} onChange={(ev) => setEvaluator(i, { kind: ev.target.value as EvaluatorKind })}>
                {EVALUATOR_KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <label>
              Metric name
              <input value={e.name} placeholder="default" onChange={(ev) => setEvaluator(i, { name: ev.target.value })} />
            </label>
            <label>
              Params (JSON)
              <input value={e.params} placeholder="{}" onChange={(ev) => setEvaluator(i, { params: ev.target.value })} />
            </label>
            <button type="button" onClick={() => setEvaluators((l) => l.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setEvaluators((l) => [...l, { kind: 'CONTAINS', name: '', params: '' }])}>
          Add evaluator
        </button>
      </fieldset>
      <div className="row">
        <label>
          Repetitions
          <input type="number" min={1} max={1000} value={repetitions} onChange={(e) => setRepetitions(Math.max(1, Number(e.target.value)))} />
        </label>
        <label>
          Concurrency
          <input type="number" min={1} placeholder="default" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
        </label>
        <label>
          First N rows only
          <input type="number" min={1} placeholder="all" value={sampleLimit} onChange={(e) => setSampleLimit(e.target.value)} />
        </label>
        <label>
          Budget (USD)
          <input type="number" min={0} step="any" placeholder="none" value={maxCostUsd} onChange={(e) => setMaxCostUsd(e.target.value)} />
        </label>
      </div>
      <p className="estimate" data-testid="run-estimate">
        <strong>{formatNumber(estimate.tasks)}</strong> tasks · worst-case cost about <strong>{formatUsd(estimate.worstCaseUsd)}</strong>
        {estimate.unpricedModels > 0 && <span className="muted"> ({estimate.unpricedModels} model(s) without prices count $0)</span>}
      </p>
      {formError && (
        <div className="error" role="alert">
          {formError}
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={fetching || !datasetVersionId || promptVersionIds.length === 0 || modelIds.length === 0}>
        Start run
      </button>
    </form>
  );
}
