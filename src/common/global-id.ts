import { badInput } from './errors.js';

/** The GraphQL type an opaque global ID names (`Experiment`, `Run`, ...); node(id:) dispatches on it. */
export type NodeType = string;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

/** Decodes any well-formed global ID; null when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: string } | null {
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const type = text.slice(0, sep);
  const id = text.slice(sep + 1);
  if (sep < 1 || !TYPE_NAME.test(type) || !UUID.test(id)) return null;
  return { type, id };
}

/** Decodes a global ID that must name `type`; a malformed or other-typed ID is BAD_USER_INPUT naming the argument. */
export function fromGlobalId(type: NodeType, globalId: string, argument = 'id'): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) {
    const a = /^[AEIOU]/.test(type) ? 'an' : 'a';
    throw badInput(`${argument}: "${globalId}" is not ${a} ${type} ID; pass the id field of ${a} ${type}.`, argument);
  }
  return parsed.id;
}
