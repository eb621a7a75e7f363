import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { SessionProvider } from './session';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { ComparePage } from './pages/ComparePage';
import { DatasetsPage } from './pages/DatasetsPage';
import { ExperimentPage } from './pages/ExperimentPage';
import { ExperimentsPage } from './pages/ExperimentsPage';
import { ModelsPage } from './pages/ModelsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PromptsPage } from './pages/PromptsPage';
import { RunPage } from './pages/RunPage';
import { SignInPage } from './pages/SignInPage';

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider signedOut={(signIn, checking, reason) => <SignInPage signIn={signIn} checking={checking} reason={reason} />}>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/experiments" replace />} />
            <Route path="experiments" element={<ExperimentsPage />} />
            <Route path="experiments/:id" element={<ExperimentPage />} />
            <Route path="runs/:id" element={<RunPage />} />
            <Route path="compare" element={<ComparePage />} />
            <Route path="datasets" element={<DatasetsPage />} />
            <Route path="datasets/:id" element={<DatasetsPage />} />
            <Route path="prompts" element={<PromptsPage />} />
            <Route path="prompts/:id" element={<PromptsPage />} />
            <Route path="models" element={<ModelsPage />} />
            <Route path="api-keys" element={<ApiKeysPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}
