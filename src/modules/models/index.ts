import { defineModule } from '../../app/module.js';
import { createModelLoaders } from './models.loaders.js';
import { ModelsRepo } from './models.repo.js';
import { ModelResolver } from './models.resolver.js';
import { ModelsService } from './models.service.js';
import { Model } from './models.types.js';

export const modelsModule = defineModule({
  name: 'models',
  resolvers: [ModelResolver],
  nodes: { Model: { loader: 'modelById', fromRow: Model.fromRow } },
  build: ({ db, secrets }) => {
    const repo = new ModelsRepo(db);
    return { service: new ModelsService(repo, secrets), loaders: (projectId: string) => createModelLoaders(repo, projectId) };
  },
});
