import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading } from '../components/States';
import { formatDate } from '../format';
import { graphql } from '../gql';
import { API_KEYS } from '../typenames';
import type { Role } from '../gql/graphql';
import { useCan } from '../session';

const ApiKeysDocument = graphql(`
  query ConsoleApiKeys {
    apiKeys {
      id
      name
      prefix
      role
      createdAt
      lastUsedAt
      revokedAt
    }
  }
`);

const CreateApiKeyDocument = graphql(`
  mutation ConsoleCreateApiKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) {
      secret
      apiKey {
        id
        name
      }
    }
  }
`);

const RevokeApiKeyDocument = graphql(`
  mutation ConsoleRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

const ROLES: Role[] = ['VIEWER', 'RESEARCHER', 'ADMIN'];

export function ApiKeysPage() {
  const isAdmin = useCan('ADMIN');
  if (!isAdmin) return <Empty>API keys are managed by the project's admins.</Empty>;
  return <ApiKeys />;
}

function ApiKeys() {
  const [{ data, fetching, error }] = useQuery({ query: ApiKeysDocument, context: API_KEYS });
  const [revokeState, revoke] = useMutation(RevokeApiKeyDocument);
  return (
    <section>
      <h1>API keys</h1>
      {error && <ErrorNotice error={error} />}
      {!data && fetching && <Loading what="API keys" />}
      {data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoked</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {data.apiKeys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>{formatDate(k.createdAt)}</td>
                <td>{formatDate(k.lastUsedAt)}</td>
                <td>{formatDate(k.revokedAt)}</td>
                <td>
                  {!k.revokedAt && (
                    <button type="button" className="danger" disabled={revokeState.fetching} onClick={() => window.confirm(`Revoke "${k.name}"? Requests with it are refused at once.`) && revoke({ id: k.id })}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revokeState.error && <ErrorNotice error={revokeState.error} />}
      <CreateApiKeyForm />
    </section>
  );
}

function CreateApiKeyForm() {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [secret, setSecret] = useState<string | null>(null);
  const [{ fetching, error }, create] = useMutation(CreateApiKeyDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ name, role });
    if (result.data) {
      setSecret(result.data.createApiKey.secret);
      setName('');
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-key">
      <h2 id="new-key">New API key</h2>
      <div className="row">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={fetching}>
        Create key
      </button>
      {secret && (
        <div className="secret" role="status">
          <p>The secret, shown this once; copy it now:</p>
          <code data-testid="new-secret">{secret}</code>
          <button type="button" onClick={() => setSecret(null)}>
            I have copied it
          </button>
        </div>
      )}
    </form>
  );
}
