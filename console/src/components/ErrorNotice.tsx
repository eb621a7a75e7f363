import type { CombinedError } from 'urql';

export interface ShownError {
  message: string;
  code?: string;
  requestId?: string;
}

/** What the lab said, with the request id to quote: from the error's extensions (WebSocket) or the x-request-id header (HTTP). */
function describeError(error: CombinedError): ShownError {
  const first = error.graphQLErrors[0];
  const fromHeader = (error.response as Response | undefined)?.headers?.get?.('x-request-id') ?? undefined;
  if (first) {
    const { code, requestId } = first.extensions as { code?: string; requestId?: string };
    return { message: first.message, code, requestId: requestId ?? fromHeader };
  }
  return { message: `The lab could not be reached: ${error.networkError?.message ?? error.message}`, requestId: fromHeader };
}

export function ErrorNotice({ error, title }: { error: CombinedError | ShownError; title?: string }) {
  const shown = 'graphQLErrors' in error ? describeError(error) : error;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      <span>{shown.message}</span>
      {(shown.code || shown.requestId) && (
        <small className="error-meta">
          {shown.code && <>code {shown.code}</>}
          {shown.code && shown.requestId && ' · '}
          {shown.requestId && <>request id <code>{shown.requestId}</code></>}
        </small>
      )}
    </div>
  );
}
