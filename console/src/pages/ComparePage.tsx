import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading } from '../components/States';
import { formatDate, formatNumber } from '../format';
import { graphql } from '../gql';
import type { ConsoleCompareQuery, PairChange } from '../gql/graphql';

const RunChoicesDocument = graphql(`
  query CompareRunChoices {
    experiments(first: 20) {
      nodes {
        id
        name
        runs(first: 10) {
          nodes {
            id
            status
            createdAt
          }
        }
      }
    }
  }
`);

const CompareDocument = graphql(`
  query ConsoleCompare($baseline: ID!, $candidate: ID!) {
    compareRuns(baselineRunId: $baseline, candidateRunId: $candidate) {
      metrics {
        name
        baselineMean
        candidateMean
        delta
        deltaCi95Low
        deltaCi95High
        pValue
        pairedCount
        improved
        regressed
        unchanged
      }
    }
  }
`);

const PairsDocument = graphql(`
  query ConsoleComparePairs($baseline: ID!, $candidate: ID!, $metric: String!, $change: [PairChange!]) {
    compareRuns(baselineRunId: $baseline, candidateRunId: $candidate) {
      pairs(metric: $metric, change: $change, first: 20) {
        totalCount
        nodes {
          rowIndex
          repetition
          delta
          change
          baseline {
            ...PairTask
          }
          candidate {
            ...PairTask
          }
        }
      }
    }
  }

  fragment PairTask on Task {
    id
    status
    renderedPrompt
    output
    error
    model {
      name
    }
  }
`);

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const baseline = params.get('baseline') ?? '';
  const candidate = params.get('candidate') ?? '';
  const [choices] = useQuery({ query: RunChoicesDocument });
  const runs = choices.data?.experiments.nodes.flatMap((e) => e.runs.nodes.map((r) => ({ ...r, label: `${e.name} · ${formatDate(r.createdAt)} · ${r.status}` }))) ?? [];
  const pick = (key: 'baseline' | 'candidate', id: string) => {
    const next = new URLSearchParams(params);
    next.set(key, id);
    setParams(next);
  };

  return (
    <section>
      <h1>Compare two runs</h1>
      {choices.error && <ErrorNotice error={choices.error} />}
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Runs to compare">
        {(['baseline', 'candidate'] as const).map((key) => (
          <label key={key}>
            {key === 'baseline' ? 'Baseline run' : 'Candidate run'}
            <select value={key === 'baseline' ? baseline : candidate} onChange={(e) => pick(key, e.target.value)}>
              <option value="">choose a run</option>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
        ))}
      </form>
      {baseline && candidate ? <Comparison baseline={baseline} candidate={candidate} /> : <Empty>Choose a baseline and a candidate run.</Empty>}
    </section>
  );
}

type MetricComparison = ConsoleCompareQuery['compareRuns']['metrics'][number];

function Comparison({ baseline, candidate }: { baseline: string; candidate: string }) {
  const [{ data, fetching, error }] = useQuery({ query: CompareDocument, variables: { baseline, candidate } });
  if (error) return <ErrorNotice error={error} />;
  if (!data && fetching) return <Loading what="the comparison" />;
  const metrics = data?.compareRuns.metrics ?? [];
  if (metrics.length === 0) return <Empty>The two runs have no metric in common on paired tasks.</Empty>;
  return (
    <>
      <p>
        <Link to={`/runs/${baseline}`}>Open the baseline</Link> · <Link to={`/runs/${candidate}`}>Open the candidate</Link>
      </p>
      <table data-testid="comparison">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Baseline</th>
            <th scope="col">Candidate</th>
            <th scope="col">Delta</th>
            <th scope="col">Delta 95% CI</th>
            <th scope="col">p-value</th>
            <th scope="col">Pairs (+ / − / =)</th>
            <th scope="col">Delta and its interval</th>
          </tr>
        </thead>
        <tbody>
          {metrics.map((m) => (
            <tr key={m.name}>
              <th scope="row">{m.name}</th>
              <td>{formatNumber(m.baselineMean)}</td>
              <td>{formatNumber(m.candidateMean)}</td>
              <td className={m.delta < 0 ? 'worse' : m.delta > 0 ? 'better' : undefined}>{formatNumber(m.delta)}</td>
              <td>
                [{formatNumber(m.deltaCi95Low)}, {formatNumber(m.deltaCi95High)}]
              </td>
              <td>{formatNumber(m.pValue, 4)}</td>
              <td>
                {m.improved} / {m.regressed} / {m.unchanged} of {m.pairedCount}
              </td>
              <td>
                <DeltaInterval metric={m} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pairs baseline={baseline} candidate={candidate} metricNames={metrics.map((m) => m.name)} />
    </>
  );
}

/** The delta and its CI on a scale symmetric around 0, so the side of zero reads at a glance. */
function DeltaInterval({ metric }: { metric: MetricComparison }) {
  const reach = Math.max(Math.abs(metric.deltaCi95Low), Math.abs(metric.deltaCi95High), Math.abs(metric.delta)) || 1;
  const x = (value: number) => 50 + (value / reach) * 45;
  return (
    <svg className="delta-interval" viewBox="0 0 100 12" role="img" aria-label={`delta ${formatNumber(metric.delta)} between ${formatNumber(metric.deltaCi95Low)} and ${formatNumber(metric.deltaCi95High)}`}>
      <line x1={50} x2={50} y1={0} y2={12} className="zero" />
      <line x1={x(metric.deltaCi95Low)} x2={x(metric.deltaCi95High)} y1={6} y2={6} className="ci" />
      <circle cx={x(metric.delta)} cy={6} r={2.5} className="point" />
    </svg>
  );
}

const CHANGES: PairChange[] = ['REGRESSED', 'IMPROVED', 'UNCHANGED'];

function Pairs({ baseline, candidate, metricNames }: { baseline: string; candidate: string; metricNames: string[] }) {
  const standard = new Set(['latency_ms', 'prompt_tokens', 'completion_tokens', 'cost_usd']);
  const [metric, setMetric] = useState(metricNames.find((n) => !standard.has(n)) ?? metricNames[0]!);
  const [change, setChange] = useState<PairChange>('REGRESSED');
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const [{ data, fetching, error }] = useQuery({ query: PairsDocument, variables: { baseline, candidate, metric, change: [change] } });
  const pairs = data?.compareRuns.pairs.nodes ?? [];
  const open = openIndex === null ? null : pairs[openIndex];

  return (
    <section aria-labelledby="pairs-title">
      <h2 id="pairs-title">Pairs, most changed first</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Pairs to show">
        <label>
          Metric
          <select value={metric} onChange={(e) => (setMetric(e.target.value), setOpenIndex(null))}>
            {metricNames.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Change
          <select value={change} onChange={(e) => (setChange(e.target.value as PairChange), setOpenIndex(null))}>
            {CHANGES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
      </form>
      {error && <ErrorNotice error={error} />}
      {!data && fetching && <Loading what="pairs" />}
      {data && pairs.length === 0 && <Empty>No {change.toLowerCase()} pair on {metric}.</Empty>}
      {pairs.length > 0 && (
        <table data-testid="pairs">
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Rep.</th>
              <th scope="col">Model</th>
              <th scope="col">Delta</th>
              <th scope="col">Open</th>
            </tr>
          </thead>
          <tbody>
            {pairs.map((p, i) => (
              <tr key={`${p.baseline.id}/${p.candidate.id}`} className={i === openIndex ? 'open' : undefined}>
                <td>{p.rowIndex}</td>
                <td>{p.repetition}</td>
                <td>{p.candidate.model.name}</td>
                <td>{formatNumber(p.delta)}</td>
                <td>
                  <button type="button" onClick={() => setOpenIndex(i)}>
                    Side by side
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <div className="side-by-side" data-testid="pair-detail">
          {(['baseline', 'candidate'] as const).map((side) => (
            <article key={side} className="card">
              <h3>
                {side} · {open[side].model.name} · {open[side].status}
              </h3>
              <h4>Rendered prompt</h4>
              <pre>{open[side].renderedPrompt ?? '—'}</pre>
              <h4>Output</h4>
              <pre>{open[side].output ?? '—'}</pre>
              {open[side].error && <ErrorNotice error={{ message: open[side].error! }} title="Error" />}
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
