import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

type ModelClass = new (data: never) => { validate(): void; toJSON(): unknown };

/** The kinds the manifests may use, each with the model that carries its JSON schema. */
const MODELS: Record<string, ModelClass> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

/**
 * Problems of one object against the Kubernetes JSON schema (kubernetes-models), as
 * `path: message` lines; empty when it is valid.
 *
 * The schemas do not forbid unknown fields, but the API server does (kubectl's default strict
 * field validation), so a misspelt `livenessprobe` would fail `kubectl apply` while passing the
 * schema. The object is therefore validated through a proxy that records which fields the
 * validator looked at: any field it never read is not in the schema.
 */
export function schemaProblems(object: { apiVersion?: unknown; kind?: unknown; [field: string]: unknown }): string[] {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const ModelClass = MODELS[key];
  if (!ModelClass) return [`${key}: no schema for this kind in test/k8s/schema.ts`];
  const model = new ModelClass(structuredClone(object) as never);
  const tracker = new ReadTracker();
  const problems: string[] = [];
  try {
    model.validate.call(tracker.wrap(model.toJSON(), ''));
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw err;
    problems.push(...errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`));
  }
  problems.push(...tracker.unknownFields().map((path) => `${path}: unknown field`));
  return problems;
}

/** Throws with every problem when the object is not valid. */
export function assertValid(object: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } }): void {
  const problems = schemaProblems(object);
  if (problems.length > 0) {
    throw new Error(`${String(object.kind)}/${String(object.metadata?.name)} is not valid:\n  ${problems.join('\n  ')}`);
  }
}

/** Wraps plain objects so that every field read (or every key enumerated, for maps) is recorded by path. */
class ReadTracker {
  private readonly objects = new Map<string, { keys: string[]; read: Set<string>; enumerated: boolean }>();

  wrap(value: unknown, path: string): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((item, i) => this.wrap(item, `${path}/${i}`));
    const record = { keys: Object.keys(value), read: new Set<string>(), enumerated: false };
    this.objects.set(path, record);
    const children = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.wrap(v, `${path}/${k}`)]));
    return new Proxy(children, {
      get: (target, prop, receiver) => {
        if (typeof prop === 'string') record.read.add(prop);
        return Reflect.get(target, prop, receiver);
      },
      has: (target, prop) => {
        if (typeof prop === 'string') record.read.add(prop);
        return Reflect.has(target, prop);
      },
      // A schema with additionalProperties (labels, ConfigMap data, resource quantities) walks every key.
      ownKeys: (target) => {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  }

  /** The outermost fields never read: what lies inside an unknown field is not reported again. */
  unknownFields(): string[] {
    const unknown: string[] = [];
    for (const [path, record] of this.objects) {
      if (record.enumerated) continue;
      for (const key of record.keys) if (!record.read.has(key)) unknown.push(`${path}/${key}`);
    }
    return unknown.filter((path) => !unknown.some((outer) => path.startsWith(`${outer}/`)));
  }
}
