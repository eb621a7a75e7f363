import { defineModule } from '../../app/module.js';
import { datasetsModule } from '../datasets/index.js';
import { experimentsModule } from '../experiments/index.js';
import { modelsModule } from '../models/index.js';
import { promptsModule } from '../prompts/index.js';
import { createRunLoaders } from './runs.loaders.js';
import { RunsRepo } from './runs.repo.js';
import { ExperimentRunsResolver, RunResolver, TaskResolver } from './runs.resolver.js';
import { RunsService } from './runs.service.js';
import { Run, Task } from './runs.types.js';
import { TasksRepo } from './tasks.repo.js';

export const runsModule = defineModule({
  name: 'runs',
  resolvers: [RunResolver, TaskResolver, ExperimentRunsResolver],
  nodes: { Run: { loader: 'runById', fromRow: Run.fromRow }, Task: { loader: 'taskById', fromRow: Task.fromRow } },
  build: ({ db, pubsub, service }) => {
    const repo = new RunsRepo(db);
    const tasks = new TasksRepo(db);
    const runs = new RunsService(
      db,
      repo,
      tasks,
      pubsub,
      service(experimentsModule),
      service(datasetsModule),
      service(promptsModule),
      service(modelsModule),
    );
    return { service: runs, loaders: (projectId: string) => createRunLoaders(repo, tasks, projectId) };
  },
});
