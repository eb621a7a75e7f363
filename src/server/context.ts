import type { Logger } from 'pino';
import type { Lab } from '../app/lab.js';
import type { Loaders, Services } from '../app/modules.js';
import type { NodeSpec } from '../app/module.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { LabPubSub } from '../storage/pubsub.js';

export type { Loaders, Services };

/** What every resolver sees: built fresh per request (and per subscription operation). */
export interface Context {
  requestId: string;
  viewer: Viewer;
  logger: Logger;
  /** DataLoaders scoped to the viewer's project. */
  loaders: Loaders;
  /** New, empty loaders: each event of a long-lived subscription reads fresh data. */
  resetLoaders(): void;
  services: Services;
  pubsub: LabPubSub;
  nodes: ReadonlyMap<string, NodeSpec>;
}

/** The context factory of a lab: a fresh context for a viewer and request id. */
export function contextFactory(lab: Lab): (viewer: Viewer, requestId: string) => Context {
  const { logger, pubsub } = lab.parts;
  return (viewer, requestId) => {
    const context: Context = {
      requestId,
      viewer,
      logger: logger.child({ requestId, subject: viewer.subject }),
      loaders: lab.createLoaders(viewer.projectId),
      resetLoaders: () => {
        context.loaders = lab.createLoaders(viewer.projectId);
      },
      services: lab.services,
      pubsub,
      nodes: lab.nodes,
    };
    return context;
  };
}
