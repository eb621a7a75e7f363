import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { createLabClient, type LabClient } from './client';
import { graphql } from './gql';
import type { Role, ViewerQuery } from './gql/graphql';

const STORAGE_KEY = 'llm-lab.api-key';

const ViewerDocument = graphql(`
  query Viewer {
    viewer {
      role
      subject
      project {
        id
        name
      }
    }
  }
`);

type SessionViewer = ViewerQuery['viewer'];

interface Session {
  viewer: SessionViewer;
  /** The graphql-ws client, for streams that manage their own resumption (a run's events). */
  ws: LabClient['ws'];
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

const ROLE_RANK: Record<Role, number> = { VIEWER: 0, RESEARCHER: 1, ADMIN: 2 };

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}

/** Whether the signed-in key has at least `role` (each role includes the ones before it). */
export function useCan(role: Role): boolean {
  return ROLE_RANK[useSession().viewer.role] >= ROLE_RANK[role];
}

/** The key lives in sessionStorage: gone when the tab closes, never in a URL. */
function storedKey(): string | null {
  return window.sessionStorage.getItem(STORAGE_KEY);
}

export interface SignIn {
  /** Checks the key with `viewer`; resolves to an error message, or null once signed in. */
  (apiKey: string): Promise<string | null>;
}

interface Props {
  /** `checking`: a key kept from earlier in this tab is being checked; `reason`: why it was dropped. */
  signedOut: (signIn: SignIn, checking: boolean, reason: string | null) => ReactNode;
  children: ReactNode;
}

/** Holds the API key, the urql client built on it and the viewer; shows `signedOut` until a key works. */
export function SessionProvider({ signedOut, children }: Props) {
  const [apiKey, setApiKey] = useState<string | null>(storedKey);
  const [viewer, setViewer] = useState<SessionViewer | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const [client, setClient] = useState<LabClient | null>(null);
  // Made and disposed by one effect, so React's StrictMode re-run leaves a live client, not a disposed one.
  useEffect(() => {
    if (!apiKey) {
      setClient(null);
      return;
    }
    const made = createLabClient(apiKey);
    setClient(made);
    return () => made.dispose();
  }, [apiKey]);

  const signOut = useCallback(() => {
    window.sessionStorage.removeItem(STORAGE_KEY);
    setViewer(null);
    setApiKey(null);
  }, []);

  const check = useCallback(async (key: string): Promise<{ viewer: SessionViewer } | { error: string }> => {
    const probe = createLabClient(key);
    try {
      const result = await probe.urql.query(ViewerDocument, {}, { requestPolicy: 'network-only' }).toPromise();
      if (result.data) return { viewer: result.data.viewer };
      return { error: describeSignInError(result.error?.graphQLErrors[0]?.message, result.error?.networkError?.message) };
    } finally {
      probe.dispose();
    }
  }, []);

  // A key kept from earlier in this tab is checked again on load; a revoked one signs out.
  useEffect(() => {
    if (!apiKey || viewer) return;
    let live = true;
    void check(apiKey).then((outcome) => {
      if (!live) return;
      if ('viewer' in outcome) setViewer(outcome.viewer);
      else {
        signOut();
        setReason(outcome.error);
      }
    });
    return () => {
      live = false;
    };
  }, [apiKey, viewer, check, signOut]);

  const signIn: SignIn = useCallback(
    async (key) => {
      const trimmed = key.trim();
      if (!trimmed) return 'Paste an API key.';
      const outcome = await check(trimmed);
      if ('error' in outcome) return outcome.error;
      setReason(null);
      window.sessionStorage.setItem(STORAGE_KEY, trimmed);
      setViewer(outcome.viewer);
      setApiKey(trimmed);
      return null;
    },
    [check],
  );

  const session = useMemo(() => (viewer && client ? { viewer, signOut, ws: client.ws } : null), [viewer, client, signOut]);
  if (viewer && !client) return null;
  if (!session || !client) return <>{signedOut(signIn, Boolean(apiKey) && !viewer, reason)}</>;
  return (
    <SessionContext.Provider value={session}>
      <Provider value={client.urql}>{children}</Provider>
    </SessionContext.Provider>
  );
}

function describeSignInError(apiMessage: string | undefined, networkMessage: string | undefined): string {
  if (apiMessage) return `The lab refused this key: ${apiMessage}`;
  return `The lab could not be reached${networkMessage ? ` (${networkMessage})` : ''}. Is it running?`;
}
