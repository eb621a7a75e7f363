import { defineModule } from '../../app/module.js';
import { CallPolicies } from '../../providers/resilience.js';
import { createRequestRateLimiter } from '../../providers/rate-limit.js';
import { artifactsModule } from '../artifacts/index.js';
import { metricsModule } from '../metrics/index.js';
import { TasksRepo } from '../runs/tasks.repo.js';
import { RunFinisher } from './run-finisher.js';
import { TaskExecutor, type SettledTask } from './task-executor.js';
import type { RunContext } from './run-context.js';
import { TaskScorer } from './scoring.js';

/** The worker's side of runs: the task executor and the run finisher. No GraphQL of its own. */
export const executionModule = defineModule({
  name: 'execution',
  resolvers: [],
  build: ({ db, secrets, pubsub, redis, execution, logger, service }) => {
    const tasks = new TasksRepo(db);
    const metrics = service(metricsModule);
    const policies = new CallPolicies(execution.policy);
    const rateLimiter = createRequestRateLimiter(redis, 'llm-lab:rpm');
    const executor = new TaskExecutor(
      db,
      tasks,
      secrets,
      policies,
      rateLimiter,
      pubsub,
      execution.executor,
      logger.child({ job: 'tasks' }),
      new TaskScorer(policies, rateLimiter),
      (context, settled) => metrics.record(metricPoints(context, settled)),
    );
    const finisher = new RunFinisher(tasks, service(artifactsModule), pubsub, logger.child({ job: 'run-finisher' }));
    return { service: { executor }, jobs: [executor, finisher] };
  },
});

/** One point per metric of each settled task, stamped with the time the task ended. */
function metricPoints(context: RunContext, settled: readonly SettledTask[]) {
  return settled.flatMap((task) => {
    const timeMs = Date.parse(task.finished_at);
    return Object.entries(task.metrics).map(([name, value]) => ({
      projectId: context.projectId,
      experimentId: context.experimentId,
      runId: context.runId,
      taskId: task.id,
      modelId: task.model_id,
      promptVersionId: task.prompt_version_id,
      rowIndex: task.row_index,
      repetition: task.repetition,
      name,
      value,
      timeMs,
    }));
  });
}
