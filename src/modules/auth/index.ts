import { defineModule } from '../../app/module.js';
import { createAuthLoaders } from './auth.loaders.js';
import { AuthRepo } from './auth.repo.js';
import { ApiKeyResolver, ViewerResolver } from './auth.resolver.js';
import { AuthService } from './auth.service.js';
import { ApiKey } from './auth.types.js';

export const authModule = defineModule({
  name: 'auth',
  resolvers: [ViewerResolver, ApiKeyResolver],
  nodes: { ApiKey: { loader: 'apiKeyById', fromRow: ApiKey.fromRow } },
  build: ({ db, pubsub }) => {
    const repo = new AuthRepo(db);
    return { service: new AuthService(repo, pubsub), loaders: (projectId: string) => createAuthLoaders(repo, projectId) };
  },
});
