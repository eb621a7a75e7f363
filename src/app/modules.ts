import { artifactsModule } from '../modules/artifacts/index.js';
import { auditModule } from '../modules/audit/index.js';
import { authModule } from '../modules/auth/index.js';
import { datasetsModule } from '../modules/datasets/index.js';
import { executionModule } from '../modules/execution/index.js';
import { experimentsModule } from '../modules/experiments/index.js';
import { metricsModule } from '../modules/metrics/index.js';
import { modelsModule } from '../modules/models/index.js';
import { nodeModule } from '../modules/node/index.js';
import { projectsModule } from '../modules/projects/index.js';
import { promptsModule } from '../modules/prompts/index.js';
import { runsModule } from '../modules/runs/index.js';
import type { LabModule } from './module.js';

/** Every module of the lab. A new module is one line here (docs/development.md, "Adding a module"). */
export const modules = [
  projectsModule,
  authModule,
  experimentsModule,
  modelsModule,
  promptsModule,
  runsModule,
  datasetsModule,
  artifactsModule,
  metricsModule,
  auditModule,
  executionModule,
  nodeModule,
] as const;

type Modules = (typeof modules)[number];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Each module's service, under the module's name: `services.experiments`. */
export type Services = { [M in Modules as M['name']]: M extends LabModule<string, infer S, unknown> ? S : never };

type LoadersOf<M> = M extends LabModule<string, unknown, infer L> ? L : never;

/** Every module's DataLoaders for one request, in one object: `loaders.experimentById`. */
export type Loaders = UnionToIntersection<LoadersOf<Modules>>;
