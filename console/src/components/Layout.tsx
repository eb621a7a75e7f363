import { NavLink, Outlet } from 'react-router';
import { useCan, useSession } from '../session';
import { PageErrorBoundary } from './PageErrorBoundary';

export function Layout() {
  const { viewer, signOut } = useSession();
  const isAdmin = useCan('ADMIN');
  return (
    <div className="layout">
      <header className="topbar">
        <span className="brand">LLM Research Lab</span>
        <nav aria-label="Main">
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/datasets">Datasets</NavLink>
          <NavLink to="/prompts">Prompts</NavLink>
          <NavLink to="/models">Models</NavLink>
          <NavLink to="/compare">Compare</NavLink>
          {isAdmin && <NavLink to="/api-keys">API keys</NavLink>}
        </nav>
        <span className="who" data-testid="viewer">
          {viewer.project.name} · <span className="role">{viewer.role}</span>
        </span>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <PageErrorBoundary>
          <Outlet />
        </PageErrorBoundary>
      </main>
    </div>
  );
}
