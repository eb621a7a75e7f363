import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading } from '../components/States';
import { formatJson } from '../format';
import { graphql } from '../gql';
import { MODELS } from '../typenames';
import type { ProviderKind } from '../gql/graphql';
import { useCan } from '../session';

const ModelsDocument = graphql(`
  query ConsoleModels {
    models(first: 100) {
      nodes {
        id
        name
        provider
        modelName
        baseUrl
        hasApiKey
        parameters
        inputCostPerMTok
        outputCostPerMTok
        maxConcurrency
        requestsPerMinute
      }
    }
  }
`);

const CreateModelDocument = graphql(`
  mutation ConsoleCreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
    }
  }
`);

const PROVIDERS: ProviderKind[] = ['ECHO', 'OPENAI', 'ANTHROPIC', 'OPENAI_COMPATIBLE'];

export function ModelsPage() {
  const [{ data, fetching, error }] = useQuery({ query: ModelsDocument, context: MODELS });
  const canCreate = useCan('RESEARCHER');
  const models = data?.models.nodes ?? [];
  return (
    <section>
      <h1>Models</h1>
      {error && <ErrorNotice error={error} />}
      {!data && fetching && <Loading what="models" />}
      {data && models.length === 0 && <Empty>No model yet.</Empty>}
      {models.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Provider</th>
              <th scope="col">Model</th>
              <th scope="col">Parameters</th>
              <th scope="col">USD / M tokens in · out</th>
              <th scope="col">Limits</th>
              <th scope="col">API key</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td>
                  {m.provider}
                  {m.baseUrl && <div className="muted">{m.baseUrl}</div>}
                </td>
                <td>{m.modelName}</td>
                <td>
                  <code>{formatJson(m.parameters)}</code>
                </td>
                <td>
                  {m.inputCostPerMTok ?? '—'} · {m.outputCostPerMTok ?? '—'}
                </td>
                <td>
                  {m.maxConcurrency} in flight{m.requestsPerMinute ? `, ${m.requestsPerMinute}/min` : ''}
                </td>
                <td>{m.hasApiKey ? 'stored' : 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canCreate && <CreateModelForm />}
    </section>
  );
}

const optionalNumber = (text: string) => (text.trim() === '' ? null : Number(text));

function CreateModelForm() {
  const [form, setForm] = useState({ name: '', provider: 'ECHO' as ProviderKind, modelName: '', baseUrl: '', apiKey: '', parameters: '', inputCost: '', outputCost: '', maxConcurrency: '', rpm: '' });
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching, error }, create] = useMutation(CreateModelDocument);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    let parameters: unknown = null;
    try {
      parameters = form.parameters.trim() ? JSON.parse(form.parameters) : null;
    } catch {
      setFormError('Parameters must be a JSON object, e.g. {"temperature": 0}.');
      return;
    }
    const result = await create({
      input: {
        name: form.name,
        provider: form.provider,
        modelName: form.modelName,
        baseUrl: form.baseUrl || null,
        apiKey: form.apiKey || null,
        parameters,
        inputCostPerMTok: optionalNumber(form.inputCost),
        outputCostPerMTok: optionalNumber(form.outputCost),
        maxConcurrency: optionalNumber(form.maxConcurrency),
        requestsPerMinute: optionalNumber(form.rpm),
      },
    });
    // The key is write-only: it leaves the page once sent.
    if (result.data) setForm((f) => ({ ...f, name: '', apiKey: '' }));
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-model">
      <h2 id="new-model">New model</h2>
      <div className="row">
        <label>
          Name
          <input required value={form.name} onChange={set('name')} />
        </label>
        <label>
          Provider
          <select value={form.provider} onChange={set('provider')}>
            {PROVIDERS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Provider's model name
          <input required value={form.modelName} onChange={set('modelName')} placeholder="gpt-4o-mini" />
        </label>
      </div>
      <div className="row">
        <label>
          Base URL
          <input type="url" value={form.baseUrl} onChange={set('baseUrl')} placeholder="required for OPENAI_COMPATIBLE" />
        </label>
        <label>
          API key (write-only)
          <input type="password" autoComplete="off" value={form.apiKey} onChange={set('apiKey')} />
        </label>
      </div>
      <label>
        Parameters (JSON)
        <input value={form.parameters} onChange={set('parameters')} placeholder='{"temperature": 0, "maxTokens": 256}' />
      </label>
      <div className="row">
        <label>
          USD / M input tokens
          <input type="number" min={0} step="any" value={form.inputCost} onChange={set('inputCost')} />
        </label>
        <label>
          USD / M output tokens
          <input type="number" min={0} step="any" value={form.outputCost} onChange={set('outputCost')} />
        </label>
        <label>
          Max in flight
          <input type="number" min={1} value={form.maxConcurrency} onChange={set('maxConcurrency')} placeholder="4" />
        </label>
        <label>
          Requests / minute
          <input type="number" min={1} value={form.rpm} onChange={set('rpm')} placeholder="no limit" />
        </label>
      </div>
      {formError && (
        <div className="error" role="alert">
          {formError}
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={fetching}>
        Create model
      </button>
    </form>
  );
}
