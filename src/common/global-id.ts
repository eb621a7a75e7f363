import { badInput } from './errors.js';

/** The entity types an opaque global ID can name; node(id:) dispatches on these. */
export const NodeType = {
  Project: 'Project',
  ApiKey: 'ApiKey',
  Model: 'Model',
  Prompt: 'Prompt',
  PromptVersion: 'PromptVersion',
  Experiment: 'Experiment',
  Run: 'Run',
  Dataset: 'Dataset',
  DatasetVersion: 'DatasetVersion',
  Artifact: 'Artifact',
} as const;
export type NodeType = (typeof NodeType)[keyof typeof NodeType];

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

/** Decodes any global ID; null when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: string } | null {
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const type = text.slice(0, sep) as NodeType;
  const id = text.slice(sep + 1);
  if (sep < 1 || !Object.hasOwn(NodeType, type) || !UUID.test(id)) return null;
  return { type, id };
}

/** Decodes a global ID that must name `type`; a malformed or other-typed ID is BAD_USER_INPUT naming the argument. */
export function fromGlobalId(type: NodeType, globalId: string, argument = 'id'): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) {
    throw badInput(`${argument}: "${globalId}" is not a ${type} ID; pass the id field of a ${type}.`, argument);
  }
  return parsed.id;
}
