import { defineModule } from '../../app/module.js';
import { CallPolicies } from '../../providers/resilience.js';
import { createRequestRateLimiter } from '../../providers/rate-limit.js';
import { artifactsModule } from '../artifacts/index.js';
import { TasksRepo } from '../runs/tasks.repo.js';
import { RunFinisher } from './run-finisher.js';
import { TaskExecutor } from './task-executor.js';

/** The worker's side of runs: the task executor and the run finisher. No GraphQL of its own. */
export const executionModule = defineModule({
  name: 'execution',
  resolvers: [],
  build: ({ db, secrets, pubsub, redis, execution, logger, service }) => {
    const tasks = new TasksRepo(db);
    const executor = new TaskExecutor(
      db,
      tasks,
      secrets,
      new CallPolicies(execution.policy),
      createRequestRateLimiter(redis, 'llm-lab:rpm'),
      pubsub,
      execution.executor,
      logger.child({ job: 'tasks' }),
    );
    const finisher = new RunFinisher(tasks, service(artifactsModule), pubsub, logger.child({ job: 'run-finisher' }));
    return { service: { executor }, jobs: [executor, finisher] };
  },
});
