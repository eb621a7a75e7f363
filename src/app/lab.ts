import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ExecutionSettings } from '../modules/execution/settings.js';
import type { SecretBox } from '../common/secret-box.js';
import type { UploadLimits } from '../modules/datasets/datasets.service.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { Database } from '../storage/postgres.js';
import type { LabPubSub } from '../storage/pubsub.js';
import type { Job } from '../workflow/worker.js';
import type { JwtSettings } from '../modules/auth/jwt.js';
import type { LabModule, MetricSettings, ModuleParts, NodeSpec } from './module.js';
import { modules, type Loaders, type Services } from './modules.js';

/** The stores and settings every module is built from. */
export interface LabParts {
  database: Database;
  pubsub: LabPubSub;
  secrets: SecretBox;
  blobs: BlobStore;
  uploads: UploadLimits;
  execution: ExecutionSettings;
  redis: Redis | null;
  metrics: MetricSettings;
  /** Identity-provider tokens accepted beside API keys (LAB_JWT_*); null or absent, API keys only. */
  jwt?: JwtSettings | null;
  logger: Logger;
}

/** The modules of the lab, built once per process: what the server, the worker and the CLI use. */
export interface Lab {
  parts: LabParts;
  services: Services;
  /** A fresh set of DataLoaders, scoped to one project: one per request or subscription operation. */
  createLoaders(projectId: string): Loaders;
  /** How node(id:) reads each type that implements Node. */
  nodes: ReadonlyMap<string, NodeSpec>;
  resolvers: Function[];
  jobs: Job[];
  /** Each module's shutdown (buffers written), in reverse module order; call once the server and worker stopped. */
  close(timeoutMs?: number): Promise<void>;
}

type AnyModule = LabModule<string, unknown, unknown>;

/**
 * Builds every module of `list` from the stores: their services (each once, a module asking for
 * another's service gets it built first), loaders, node types and jobs. Throws when two modules
 * claim the same loader name, node type or module name, so none silently replaces another.
 */
export function composeLab(parts: LabParts, list: readonly AnyModule[] = modules): Lab {
  const built = new Map<AnyModule, ModuleParts<unknown, unknown>>();
  const building = new Set<AnyModule>();
  const build = (module: AnyModule): ModuleParts<unknown, unknown> => {
    const done = built.get(module);
    if (done) return done;
    if (building.has(module)) throw new Error(`modules depend on each other in a cycle through "${module.name}"`);
    building.add(module);
    const result = module.build({ ...parts, db: parts.database.db, service: (other) => build(other as AnyModule).service as never });
    built.set(module, result);
    return result;
  };

  const services: Record<string, unknown> = {};
  const loaderFactories: ((projectId: string) => object)[] = [];
  const loaderOwners = new Map<string, string>();
  const nodes = new Map<string, NodeSpec>();
  const jobs: Job[] = [];
  const closers: ((timeoutMs: number) => Promise<void>)[] = [];
  for (const module of list) {
    if (module.name in services) throw new Error(`two modules are named "${module.name}"`);
    const result = build(module);
    services[module.name] = result.service;
    jobs.push(...(result.jobs ?? []));
    if (result.close) closers.push(result.close);
    if (result.loaders) {
      const factory = result.loaders as (projectId: string) => object;
      for (const name of Object.keys(factory(NO_PROJECT))) {
        const owner = loaderOwners.get(name);
        if (owner) throw new Error(`the loader "${name}" is defined by both the ${owner} and the ${module.name} modules; rename one`);
        loaderOwners.set(name, module.name);
      }
      loaderFactories.push(factory);
    }
    for (const [type, spec] of Object.entries(module.nodes ?? {})) {
      if (nodes.has(type)) throw new Error(`the node type ${type} is listed by two modules`);
      nodes.set(type, spec);
    }
  }
  for (const [type, spec] of nodes) {
    if (!loaderOwners.has(spec.loader)) throw new Error(`node type ${type} reads through "${spec.loader}", which no module defines`);
  }
  const RequestLoaders = requestLoadersClass(loaderFactories);
  return {
    parts,
    services: services as Services,
    createLoaders: (projectId) => new RequestLoaders(projectId) as unknown as Loaders,
    nodes,
    resolvers: list.flatMap((m) => [...m.resolvers]),
    jobs,
    close: async (timeoutMs = 10_000) => {
      for (const close of closers.reverse()) await close(timeoutMs);
    },
  };
}

/**
 * The loaders of one request as one object whose getters build a module's loaders on first use:
 * a request that reads no dataset builds no dataset loader. The class is built once per lab; a
 * request costs an object and an array until it reads.
 */
function requestLoadersClass(factories: ((projectId: string) => object)[]) {
  class RequestLoaders {
    readonly groups: (Record<string, unknown> | undefined)[] = new Array(factories.length);
    constructor(readonly projectId: string) {}
  }
  factories.forEach((create, index) => {
    for (const name of Object.keys(create(NO_PROJECT))) {
      Object.defineProperty(RequestLoaders.prototype, name, {
        get(this: RequestLoaders) {
          const group = (this.groups[index] ??= create(this.projectId) as Record<string, unknown>);
          return group[name];
        },
        enumerable: true,
      });
    }
  });
  return RequestLoaders;
}

/** Only to list loader names at start-up; no loader built with it ever runs. */
const NO_PROJECT = '00000000-0000-0000-0000-000000000000';
