import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML; the validators check its shape. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

/**
 * The kustomization fields this helper implements. Anything else in a kustomization.yaml makes
 * `build` throw: silently ignoring, say, `patches` would validate objects that are not what
 * `kubectl apply -k` sends.
 */
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images']);
const SUPPORTED_IMAGE_FIELDS = new Set(['name', 'newName', 'newTag', 'digest']);

/** Kinds without a namespace: kustomize's `namespace:` leaves them alone. */
const CLUSTER_SCOPED = new Set(['Namespace']);
/** Kinds whose pod template carries the containers `images:` rewrites. */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'Job']);

/** Parses every document of a YAML text; YAML errors and warnings (a duplicate key, say) throw. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const objects: unknown[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${source}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** Reads a YAML file of Kubernetes objects, each with apiVersion, kind and metadata.name. */
export function readObjects(path: string): K8sObject[] {
  return parseYamlDocuments(readFileSync(path, 'utf8'), path).map((value, i) => asObject(value, `${path} (document ${i + 1})`));
}

function asObject(value: unknown, source: string): K8sObject {
  if (!isRecord(value)) throw new Error(`${source}: not a mapping`);
  const meta = value.metadata;
  if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isRecord(meta) || typeof meta.name !== 'string') {
    throw new Error(`${source}: needs apiVersion, kind and metadata.name`);
  }
  return value as K8sObject;
}

/** What `kubectl kustomize DIR` would print, as objects, for the fields listed in SUPPORTED_FIELDS. */
export function build(dir: string): K8sObject[] {
  const path = join(dir, 'kustomization.yaml');
  const [kustomization, ...rest] = parseYamlDocuments(readFileSync(path, 'utf8'), path);
  if (!isRecord(kustomization) || rest.length > 0) throw new Error(`${path}: must hold exactly one mapping`);
  const unsupported = Object.keys(kustomization).filter((field) => !SUPPORTED_FIELDS.has(field));
  if (unsupported.length > 0) {
    throw new Error(`${path}: unsupported kustomize field(s) ${unsupported.join(', ')}; teach test/k8s/kustomize.ts to apply them`);
  }
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization') {
    throw new Error(`${path}: expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);
  }

  const resources = kustomization.resources;
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) throw new Error(`${path}: resources must be a list of file names`);
  const objects = (resources as string[]).flatMap((resource) => {
    const file = join(dir, resource);
    if (/^[a-z]+:\/\//i.test(resource) || !statSync(file).isFile()) {
      throw new Error(`${path}: resource ${resource} is not a local file; only files are supported`);
    }
    return readObjects(file);
  });

  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${path}: ${id} is defined twice`);
    seen.add(id);
  }

  if (kustomization.namespace !== undefined) {
    const namespace = kustomization.namespace;
    if (typeof namespace !== 'string') throw new Error(`${path}: namespace must be a string`);
    for (const object of objects) {
      if (CLUSTER_SCOPED.has(object.kind)) {
        // kustomize renames a lone Namespace object to match; two names meaning one namespace is a mistake here.
        if (object.kind === 'Namespace' && object.metadata.name !== namespace) {
          throw new Error(`${path}: Namespace ${object.metadata.name} differs from namespace: ${namespace}`);
        }
        continue;
      }
      object.metadata.namespace = namespace;
    }
  }

  if (kustomization.images !== undefined) {
    if (!Array.isArray(kustomization.images)) throw new Error(`${path}: images must be a list`);
    for (const entry of kustomization.images as unknown[]) {
      if (!isRecord(entry) || typeof entry.name !== 'string') throw new Error(`${path}: each images entry needs a name`);
      const extra = Object.keys(entry).filter((field) => !SUPPORTED_IMAGE_FIELDS.has(field));
      if (extra.length > 0) throw new Error(`${path}: unsupported images field(s) ${extra.join(', ')}`);
      for (const object of objects) {
        for (const container of podContainers(object)) {
          container.image = overrideImage(container.image, entry as ImageOverride);
        }
      }
    }
  }
  return objects;
}

export type ImageOverride = { name: string; newName?: string; newTag?: string; digest?: string };

/** One `images:` entry applied to one image reference, as kustomize does: matched on the name without tag or digest. */
export function overrideImage(image: string, override: ImageOverride): string {
  const { name, tag, digest } = splitImage(image);
  if (name !== override.name) return image;
  const newName = override.newName ?? name;
  if (override.digest !== undefined) return `${newName}@${override.digest}`;
  if (override.newTag !== undefined) return `${newName}:${override.newTag}`;
  if (digest !== undefined) return `${newName}@${digest}`;
  return tag === undefined ? newName : `${newName}:${tag}`;
}

/** `registry:5000/repo/name:tag@sha256:...` into its parts (a colon before the last slash is a port). */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const rest = at === -1 ? image : image.slice(0, at);
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

export type Container = { name: string; image: string; [key: string]: unknown };

/** The containers (init containers included) of a workload's pod template; none for other kinds. */
export function podContainers(object: K8sObject): Container[] {
  if (!POD_TEMPLATE_KINDS.has(object.kind)) {
    if (/"image"\s*:/.test(JSON.stringify(object))) throw new Error(`${object.kind}/${object.metadata.name}: holds an image, but its kind is not one whose containers this helper knows`);
    return [];
  }
  const podSpec = podSpecOf(object);
  return [...((podSpec.initContainers as Container[] | undefined) ?? []), ...((podSpec.containers as Container[] | undefined) ?? [])];
}

/** spec.template.spec of a Deployment or Job. */
export function podSpecOf(object: K8sObject): Record<string, unknown> {
  const spec = object.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  if (!spec?.template?.spec) throw new Error(`${object.kind}/${object.metadata.name}: no spec.template.spec`);
  return spec.template.spec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
