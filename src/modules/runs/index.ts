import { defineModule } from '../../app/module.js';
import { createRunLoaders } from './runs.loaders.js';
import { RunsRepo } from './runs.repo.js';
import { ExperimentRunsResolver, RunResolver } from './runs.resolver.js';
import { RunsService } from './runs.service.js';
import { Run } from './runs.types.js';

export const runsModule = defineModule({
  name: 'runs',
  resolvers: [RunResolver, ExperimentRunsResolver],
  nodes: { Run: { loader: 'runById', fromRow: Run.fromRow } },
  build: ({ db }) => {
    const repo = new RunsRepo(db);
    return { service: new RunsService(repo), loaders: (projectId: string) => createRunLoaders(repo, projectId) };
  },
});
