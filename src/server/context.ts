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
  /**
   * A class, so that the request's child logger is made when something logs, not for every
   * request: pino's child() serialises its bindings and runs its redaction setup (about 1% of the
   * console page's CPU), and most requests log nothing.
   */
  class RequestContext implements Context {
    private child: Logger | undefined;
    loaders: Loaders;
    readonly services = lab.services;
    readonly pubsub = pubsub;
    readonly nodes = lab.nodes;

    constructor(
      readonly viewer: Viewer,
      readonly requestId: string,
    ) {
      this.loaders = lab.createLoaders(viewer.projectId);
    }

    get logger(): Logger {
      return (this.child ??= logger.child({ requestId: this.requestId, subject: this.viewer.subject }));
    }

    resetLoaders(): void {
      this.loaders = lab.createLoaders(this.viewer.projectId);
    }
  }
  return (viewer, requestId) => new RequestContext(viewer, requestId);
}
