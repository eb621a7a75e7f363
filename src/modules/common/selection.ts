import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** Where the objects a field returns sit under it: `[[]]` for the field itself, `[['nodes'], ['edges', 'node']]` for a connection. */
export type SelectionPaths = readonly (readonly string[])[];

/**
 * A test of the query, made once per list field: whether every field it selects on the objects
 * reached through `paths` is in `allowed` (`__typename` always is). Fragments are followed, and a
 * field under `@include`/`@skip` counts as selected whatever its condition, so the answer errs
 * towards "no". A repo uses it to read fewer columns when the query asks for fewer fields.
 * Answers are kept per field node: a parsed document is reused from request to request.
 */
export function selectsOnly(paths: SelectionPaths, allowed: ReadonlySet<string>): (info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>) => boolean {
  const answers = new WeakMap<FieldNode, boolean>();
  const within = (set: SelectionSetNode | undefined, path: readonly string[], fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): boolean => {
    if (!set) return true;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (path.length === 0) {
          if (name !== '__typename' && !allowed.has(name)) return false;
        } else if (name === path[0] && !within(selection.selectionSet, path.slice(1), fragments, seen)) {
          return false;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!within(selection.selectionSet, path, fragments, seen)) return false;
      } else {
        const fragment = fragments[selection.name.value];
        // A fragment already being expanded on this path (a cycle, which validation refuses) adds nothing.
        if (seen.has(selection.name.value)) continue;
        if (!fragment || !within(fragment.selectionSet, path, fragments, new Set(seen).add(selection.name.value))) return false;
      }
    }
    return true;
  };
  return ({ fieldNodes, fragments }) => {
    const compute = () => fieldNodes.every((node) => paths.every((path) => within(node.selectionSet, path, fragments, new Set())));
    // One node: the same answer for every request of this document. Several (a field merged from fragments): computed each time.
    if (fieldNodes.length !== 1) return compute();
    let answer = answers.get(fieldNodes[0]!);
    if (answer === undefined) {
      answer = compute();
      answers.set(fieldNodes[0]!, answer);
    }
    return answer;
  };
}
