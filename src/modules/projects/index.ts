import { defineModule } from '../../app/module.js';
import { createProjectLoaders } from './projects.loaders.js';
import { ProjectsRepo } from './projects.repo.js';
import { ProjectsService } from './projects.service.js';
import { Project } from './projects.types.js';

export const projectsModule = defineModule({
  name: 'projects',
  resolvers: [],
  nodes: { Project: { loader: 'projectById', fromRow: Project.fromRow } },
  build: ({ db }) => {
    const repo = new ProjectsRepo(db);
    return { service: new ProjectsService(repo), loaders: (projectId: string) => createProjectLoaders(repo, projectId) };
  },
});
