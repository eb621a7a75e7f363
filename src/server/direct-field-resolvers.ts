import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type Param = NonNullable<ReturnType<typeof getMetadataStorage>['fieldResolvers'][number]['params']>[number];

/** Whether a resolver parameter can be handed over as graphql gives it: root, context, info, or a scalar or enum argument. */
function passesAsIs(param: Param, inputClasses: Set<Function>): boolean {
  switch (param.kind) {
    case 'root':
    case 'context':
      return param.propertyName === undefined;
    case 'info':
      return true;
    case 'arg':
      return !inputClasses.has(param.getType() as Function);
    default:
      return false;
  }
}

/** Whether `name` is an accessor somewhere on the prototype chain (a `get` field), not a method. */
function isGetter(prototype: object, name: string): boolean {
  for (let p: object | null = prototype; p; p = Object.getPrototypeOf(p) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(p, name);
    if (descriptor) return descriptor.get !== undefined;
  }
  return false;
}

/**
 * Calls the field resolvers of nested objects (`@FieldResolver` methods without roles or
 * middleware, taking the root, the context and scalar arguments) straight from graphql.
 * Written by hand because type-graphql 2.0.0-rc.4 wraps every call in glue that sorts the
 * parameter list, validates each scalar argument through an async function and joins them with
 * Promise.all: on the console's page that glue made a fifth of all allocations. Root fields,
 * input-type arguments and anything with `@Authorized` or middleware keep type-graphql's path,
 * so validation and authorization are exactly as declared.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema): number {
  const storage = getMetadataStorage();
  const inputClasses = new Set(storage.inputTypes.map((t) => t.target));
  const typeNames = new Map(storage.objectTypes.map((t) => [t.target, t.name]));
  const resolverInstances = new Map<Function, Record<string, (...args: unknown[]) => unknown>>();
  let replaced = 0;
  for (const metadata of storage.fieldResolvers) {
    if (metadata.roles?.length || metadata.middlewares?.length) continue;
    const params = [...(metadata.params ?? [])].sort((a, b) => a.index - b.index);
    if (!params.every((p) => passesAsIs(p, inputClasses))) continue;
    const objectClass = metadata.getObjectType?.();
    const type = objectClass && schema.getType(typeNames.get(objectClass) ?? '');
    const field = isObjectType(type) ? type.getFields()[metadata.schemaName] : undefined;
    if (!objectClass || !field) continue;
    if (metadata.kind === 'internal' && isGetter(objectClass.prototype as object, metadata.methodName)) {
      // A getter of the object type: graphql's default resolver reads it.
      field.resolve = undefined;
      replaced++;
      continue;
    }
    // A method of a resolver class is called on its one instance; a method of the object type itself, on the object.
    let instance: Record<string, (...args: unknown[]) => unknown> | undefined;
    if (metadata.kind === 'external') {
      instance = resolverInstances.get(metadata.target) ?? new (metadata.target as new () => Record<string, (...args: unknown[]) => unknown>)();
      resolverInstances.set(metadata.target, instance);
    }
    const method = (instance ?? (objectClass.prototype as Record<string, (...args: unknown[]) => unknown>))[metadata.methodName]!;
    field.resolve = directResolve(method, instance, params);
    replaced++;
  }
  return replaced;
}

/**
 * Calls the per-event `resolve` of subscription fields (methods taking the event as root, the
 * context and scalar arguments, without middleware) straight from graphql. type-graphql checks a
 * subscription's roles when it subscribes (its `subscribe` goes through the auth checker) and
 * again, asynchronously, on every event: the second check cannot differ from the first within one
 * operation (a revoked key's sockets are closed, a token's operations end with it), and it made
 * every event's result a promise, which the fan-out cannot write in the publisher's call
 * (src/server/shared-execution.ts).
 */
export function callSubscriptionResolversDirectly(schema: GraphQLSchema, resolvers: readonly Function[]): number {
  const storage = getMetadataStorage();
  const inputClasses = new Set(storage.inputTypes.map((t) => t.target));
  const fields = schema.getSubscriptionType()?.getFields() ?? {};
  const resolverInstances = new Map<Function, Record<string, (...args: unknown[]) => unknown>>();
  let replaced = 0;
  for (const metadata of storage.subscriptions) {
    const field = fields[metadata.schemaName];
    if (!field || !field.subscribe || !resolvers.includes(metadata.target) || metadata.middlewares?.length) continue;
    const params = [...(metadata.params ?? [])].sort((a, b) => a.index - b.index);
    if (!params.every((p) => passesAsIs(p, inputClasses))) continue;
    const instance = resolverInstances.get(metadata.target) ?? new (metadata.target as new () => Record<string, (...args: unknown[]) => unknown>)();
    resolverInstances.set(metadata.target, instance);
    field.resolve = directResolve(instance[metadata.methodName]!, instance, params);
    replaced++;
  }
  return replaced;
}

/** A graphql resolver that calls `method` with its parameters picked from what graphql passes. */
function directResolve(method: (...args: unknown[]) => unknown, instance: object | undefined, params: Param[]): GraphQLFieldResolver<unknown, unknown> {
  const pick = params.map((p): ((root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown) => {
    if (p.kind === 'root') return (root) => root;
    if (p.kind === 'context') return (_root, _args, context) => context;
    if (p.kind === 'info') return (_root, _args, _context, info) => info;
    const name = (p as { name: string }).name;
    return (_root, args) => args[name];
  });
  return pick.length === 2 && params[0]!.kind === 'root' && params[1]!.kind === 'context'
    ? (root, _args, context) => method.call(instance ?? root, root, context)
    : (root, args, context, info) => method.apply(instance ?? root, pick.map((get) => get(root, args, context, info)));
}
