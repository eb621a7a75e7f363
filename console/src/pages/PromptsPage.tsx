import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading } from '../components/States';
import { formatDate } from '../format';
import { graphql } from '../gql';
import { PROMPTS } from '../typenames';
import { detectVariables, diffLines } from '../prompt-text';
import { useCan } from '../session';

const PromptsDocument = graphql(`
  query ConsolePrompts {
    prompts(first: 100) {
      nodes {
        id
        name
        latestVersion {
          version
        }
      }
    }
  }
`);

const PromptDocument = graphql(`
  query ConsolePrompt($id: ID!) {
    prompt(id: $id) {
      id
      name
      description
      versions(first: 50) {
        nodes {
          id
          version
          system
          template
          variables
          createdAt
        }
      }
    }
  }
`);

const CreatePromptDocument = graphql(`
  mutation ConsoleCreatePrompt($input: CreatePromptInput!) {
    createPrompt(input: $input) {
      id
    }
  }
`);

const CreatePromptVersionDocument = graphql(`
  mutation ConsoleCreatePromptVersion($input: CreatePromptVersionInput!) {
    createPromptVersion(input: $input) {
      id
    }
  }
`);

export function PromptsPage() {
  const { id } = useParams();
  const [{ data, fetching, error }] = useQuery({ query: PromptsDocument, context: PROMPTS });
  const canEdit = useCan('RESEARCHER');
  return (
    <section className="split">
      <div>
        <h1>Prompts</h1>
        {error && <ErrorNotice error={error} />}
        {!data && fetching && <Loading what="prompts" />}
        {data && data.prompts.nodes.length === 0 && <Empty>No prompt yet.</Empty>}
        <ul className="list">
          {data?.prompts.nodes.map((p) => (
            <li key={p.id} className={p.id === id ? 'open' : undefined}>
              <Link to={`/prompts/${p.id}`}>{p.name}</Link> <span className="muted">v{p.latestVersion.version}</span>
            </li>
          ))}
        </ul>
      </div>
      <div>
        {id ? <PromptDetail id={id} canEdit={canEdit} /> : canEdit ? <PromptEditor /> : <Empty>Choose a prompt.</Empty>}
        {id && canEdit && (
          <p>
            <Link to="/prompts">New prompt</Link>
          </p>
        )}
      </div>
    </section>
  );
}

/** A new prompt (no `promptId`) or the next version of one, seeded with its latest text. */
function PromptEditor({ promptId, initial }: { promptId?: string; initial?: { system: string; template: string } }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [system, setSystem] = useState(initial?.system ?? '');
  const [template, setTemplate] = useState(initial?.template ?? '');
  const [createPromptState, createPrompt] = useMutation(CreatePromptDocument);
  const [createVersionState, createVersion] = useMutation(CreatePromptVersionDocument);
  const variables = detectVariables(system, template);
  const error = createPromptState.error ?? createVersionState.error;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (promptId) {
      await createVersion({ input: { promptId, system: system || null, template } });
    } else {
      const result = await createPrompt({ input: { name, system: system || null, template } });
      if (result.data) navigate(`/prompts/${result.data.createPrompt.id}`);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="prompt-editor">
      <h2 id="prompt-editor">{promptId ? 'New version' : 'New prompt'}</h2>
      {!promptId && (
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        System message (mustache, optional)
        <textarea rows={3} value={system} onChange={(e) => setSystem(e.target.value)} />
      </label>
      <label>
        User message template (mustache over the row's input fields)
        <textarea required rows={6} value={template} onChange={(e) => setTemplate(e.target.value)} />
      </label>
      <p data-testid="detected-variables">
        Variables: {variables.length ? variables.map((v) => <code key={v}>{v}</code>) : <span className="muted">none</span>}
      </p>
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={createPromptState.fetching || createVersionState.fetching}>
        {promptId ? 'Save as new version' : 'Create prompt'}
      </button>
    </form>
  );
}

function PromptDetail({ id, canEdit }: { id: string; canEdit: boolean }) {
  const [{ data, fetching, error }] = useQuery({ query: PromptDocument, variables: { id }, context: PROMPTS });
  const [shown, setShown] = useState(0);
  if (error) return <ErrorNotice error={error} />;
  if (!data && fetching) return <Loading what="the prompt" />;
  const prompt = data?.prompt;
  if (!prompt) return <Empty>No such prompt.</Empty>;
  const versions = prompt.versions.nodes;
  const version = versions[Math.min(shown, versions.length - 1)]!;
  const previous = versions[Math.min(shown, versions.length - 1) + 1];

  return (
    <div>
      <h2>{prompt.name}</h2>
      <label className="inline">
        Version
        <select value={shown} onChange={(e) => setShown(Number(e.target.value))}>
          {versions.map((v, i) => (
            <option key={v.id} value={i}>
              v{v.version} · {formatDate(v.createdAt)}
            </option>
          ))}
        </select>
      </label>
      <p>
        Variables: {version.variables.map((v) => <code key={v}>{v}</code>)}
      </p>
      {version.system && <pre>{version.system}</pre>}
      <h3>{previous ? `Template, changes since v${previous.version}` : 'Template'}</h3>
      <pre className="diff" data-testid="prompt-diff">
        {(previous ? diffLines(previous.template, version.template) : diffLines(version.template, version.template)).map((line, i) => (
          <span key={i} className={`diff-${line.kind}`}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
            {'\n'}
          </span>
        ))}
      </pre>
      {canEdit && <PromptEditor key={versions[0]!.id} promptId={prompt.id} initial={{ system: versions[0]!.system ?? '', template: versions[0]!.template }} />}
    </div>
  );
}
