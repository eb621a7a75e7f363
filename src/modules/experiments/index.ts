import { defineModule } from '../../app/module.js';
import { createExperimentLoaders } from './experiments.loaders.js';
import { ExperimentsRepo } from './experiments.repo.js';
import { ExperimentResolver } from './experiments.resolver.js';
import { ExperimentsService } from './experiments.service.js';
import { Experiment } from './experiments.types.js';

export const experimentsModule = defineModule({
  name: 'experiments',
  resolvers: [ExperimentResolver],
  nodes: { Experiment: { loader: 'experimentById', fromRow: Experiment.fromRow } },
  build: ({ db, pubsub }) => {
    const repo = new ExperimentsRepo(db);
    return { service: new ExperimentsService(repo, pubsub), loaders: (projectId: string) => createExperimentLoaders(repo, projectId) };
  },
});
