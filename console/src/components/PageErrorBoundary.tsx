import { Component, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { ErrorNotice } from './ErrorNotice';

interface Props {
  children: ReactNode;
  /** Another page clears the failure: the new page renders afresh. */
  resetKey: string;
}

/** React catches render errors only in a class component with getDerivedStateFromError. */
class Boundary extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidUpdate(previous: Props) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <ErrorNotice
        title="This page failed"
        error={{ message: `${error.message}. Reload the page or open another one; if it happens again, report it with what you did.` }}
      />
    );
  }
}

/** A page that fails while rendering says so, in the layout, instead of leaving a blank screen. */
export function PageErrorBoundary({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return <Boundary resetKey={pathname}>{children}</Boundary>;
}
