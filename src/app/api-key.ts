import type { ApiKeyRow, ProjectRow } from '../db/schema.js';
import { authModule } from '../modules/auth/index.js';
import type { RoleName } from '../modules/auth/viewer.js';
import { projectsModule } from '../modules/projects/index.js';
import { createLogger } from '../observability/logger.js';
import { connectDatabase } from '../storage/postgres.js';
import { createLabPubSub } from '../storage/pubsub.js';
import { composeLab, type LabParts } from './lab.js';

/** Stands for a store a command does not use: touching it is a bug, said plainly. */
function unavailable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => {
      throw new Error(`${what} is not available to this command`);
    },
  });
}

/**
 * `llm-lab api-key create`: the projects and auth modules over DATABASE_URL, nothing else (no
 * secret key, no blob store, no migration: a database without the lab's tables is refused).
 */
export async function createApiKey(databaseUrl: string, options: { name: string; role: RoleName; project: string }): Promise<{ row: ApiKeyRow; secret: string; project: ProjectRow }> {
  const database = connectDatabase(databaseUrl, { poolSize: 1 });
  const { pubsub, close } = createLabPubSub(undefined, createLogger('silent'));
  const parts: LabParts = {
    database,
    pubsub,
    logger: createLogger('silent'),
    secrets: unavailable('LAB_SECRET_KEY'),
    blobs: unavailable('The blob store'),
    uploads: unavailable('The upload limits'),
    execution: unavailable('The execution settings'),
    redis: null,
    metrics: unavailable('The metric store'),
  };
  try {
    const { services } = composeLab(parts, [projectsModule, authModule]);
    const project = await services.projects.findOrCreate(options.project);
    return { ...(await services.auth.createKey(project.id, options.name, options.role)), project };
  } catch (err) {
    if (isMissingTable(err)) throw new Error(`the database at DATABASE_URL has no lab tables yet; run \`llm-lab migrate\` first.`);
    throw err;
  } finally {
    await close();
    await database.close();
  }
}

function isMissingTable(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '42P01') return true;
  }
  return false;
}
