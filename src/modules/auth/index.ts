import { defineModule } from '../../app/module.js';
import { createAuthLoaders } from './auth.loaders.js';
import { projectsModule } from '../projects/index.js';
import { AuthRepo } from './auth.repo.js';
import { JwtVerifier } from './jwt.js';
import { ApiKeyResolver, ViewerResolver } from './auth.resolver.js';
import { AuthService } from './auth.service.js';
import { ApiKey } from './auth.types.js';

export const authModule = defineModule({
  name: 'auth',
  resolvers: [ViewerResolver, ApiKeyResolver],
  nodes: { ApiKey: { loader: 'apiKeyById', fromRow: ApiKey.fromRow } },
  build: ({ db, pubsub, jwt, service }) => {
    const repo = new AuthRepo(db);
    const projects = service(projectsModule);
    const verifier = jwt ? new JwtVerifier(jwt, (id) => projects.exists(id)) : null;
    return { service: new AuthService(repo, pubsub, verifier), loaders: (projectId: string) => createAuthLoaders(repo, projectId) };
  },
});
