import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig, requireFor, type Command } from '../../src/config.js';
import { apiProbeProblems, containersOf, deadSettings, envNames, metricsPortProblems, resolvePort, resourceProblems, securityProblems, serviceExposesMetrics } from './checks.js';
import { build, podSpecOf, readObjects, type K8sObject } from './kustomize.js';
import { schemaProblems } from './schema.js';

/** k8s/ as `kubectl apply -k k8s/` would send it. */
const objects = build('k8s');
const secretExample = readObjects('k8s/secret.example.yaml');
const secretExampleText = readFileSync('k8s/secret.example.yaml', 'utf8');

function get(kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not in k8s/kustomization.yaml`);
  return found;
}
const api = get('Deployment', 'llm-lab-api');
const worker = get('Deployment', 'llm-lab-worker');
const migrate = get('Job', 'llm-lab-migrate');
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]));
const settings = configMaps.get('llm-lab-config')!;
const secret = secretExample[0]!;
const secretKeys = (secret.stringData ?? {}) as Record<string, string>;

/** Every variable src/config.ts reads, by name, with its group in the schema. */
const configKeys = new Map(Object.entries(configSchema.shape).flatMap(([group, schema]) => Object.keys(schema.shape).map((name) => [name, group] as const)));

/** METRICS_PORT as the pods get it (the ConfigMap's value, else src/config.ts's default); undefined when /metrics is not served. */
function metricsPort(): number | undefined {
  const config = loadConfig(settings) as unknown as Record<string, Record<string, unknown>>;
  const port = config[configKeys.get('METRICS_PORT') ?? '']?.METRICS_PORT;
  return typeof port === 'number' ? port : undefined;
}
const httpPort = Number(settings.PORT ?? 4000);

describe('k8s/ against the Kubernetes JSON schemas (kubernetes-models)', () => {
  it('assembles the objects kustomization.yaml lists, in the llm-lab namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toMatchInlineSnapshot(`
      [
        "ConfigMap/llm-lab-config",
        "Deployment/llm-lab-api",
        "Deployment/llm-lab-worker",
        "HorizontalPodAutoscaler/llm-lab-api",
        "HorizontalPodAutoscaler/llm-lab-worker",
        "Job/llm-lab-migrate",
        "Namespace/llm-lab",
        "NetworkPolicy/default-deny-ingress",
        "NetworkPolicy/llm-lab-api-ingress",
        "NetworkPolicy/llm-lab-egress",
        "NetworkPolicy/llm-lab-metrics-ingress",
        "PodDisruptionBudget/llm-lab-api",
        "PodDisruptionBudget/llm-lab-worker",
        "Service/llm-lab-api",
      ]
    `);
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('llm-lab');
  });

  it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))('%s is valid', (_id, object) => {
    expect(schemaProblems(object)).toEqual([]);
  });

  it('secret.example.yaml is valid and is not applied by the kustomization', () => {
    expect(secretExample).toHaveLength(1);
    expect(schemaProblems(secret)).toEqual([]);
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('rejects a broken Deployment with the same validator', () => {
    const broken = structuredClone(api) as K8sObject & { spec: Record<string, unknown> };
    const pod = podSpecOf(broken) as { containers: Record<string, unknown>[] };
    pod.containers[0]!.ports = [{ name: 'http', containerPort: '4000' }];
    pod.containers[0]!.livenessprobe = { httpGet: { path: '/healthz', port: 'http' } };
    delete pod.containers[0]!.name;
    broken.spec.replicas = 'two';
    expect(schemaProblems(broken)).toEqual([
      '/spec/replicas: must be integer',
      '/spec/template/spec/containers/0: must have required property name',
      '/spec/template/spec/containers/0/ports/0/containerPort: must be integer',
      '/spec/template/spec/containers/0/livenessprobe: unknown field',
    ]);
    expect(schemaProblems({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } })).toEqual([]);
    expect(schemaProblems({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: {} })).toEqual([
      '/spec: must have required property selector',
      '/spec: must have required property template',
    ]);
    expect(schemaProblems({ apiVersion: 'apps/v1beta1', kind: 'Deployment' })).toEqual(['apps/v1beta1/Deployment: no schema for this kind in test/k8s/schema.ts']);
  });
});

describe('k8s/ for operators', () => {
  it('every container has CPU and memory requests and limits', () => {
    expect(workloads.flatMap(resourceProblems)).toEqual([]);
  });

  it('every pod is non-root with a read-only root filesystem, no privilege escalation and no capabilities', () => {
    expect(workloads.flatMap(securityProblems)).toEqual([]);
    const namespace = get('Namespace', 'llm-lab');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('the API probes liveness on /healthz and readiness on /readyz at PORT', () => {
    expect(apiProbeProblems(api, httpPort)).toEqual([]);
    expect(containersOf(api).map((c) => resolvePort(c, 'http')?.containerPort)).toEqual([httpPort]);
  });

  it('API and worker pods name a metrics port on METRICS_PORT, which the Service does not expose', () => {
    const port = metricsPort();
    if (port === undefined) throw new Error('METRICS_PORT resolves to nothing for the pods, so they serve no /metrics: set it in k8s/configmap.yaml');
    expect([...metricsPortProblems(api, port), ...metricsPortProblems(worker, port)]).toEqual([]);
    for (const w of [api, worker]) {
      const annotations = (w.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations ?? {};
      expect(annotations['prometheus.io/port'], `${w.metadata.name} scrape annotation`).toBe(String(port));
    }
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.flatMap((s) => serviceExposesMetrics(s, port))).toEqual([]);
    const apiService = get('Service', 'llm-lab-api') as K8sObject & { spec: { ports: { targetPort: string }[]; selector: Record<string, string> } };
    expect(apiService.spec.ports.map((p) => resolvePort(containersOf(api)[0]!, p.targetPort)?.containerPort)).toEqual([httpPort]);
    expect(apiService.spec.selector).toEqual(podLabels(api));
  });

  it('the NetworkPolicies open PORT on the API and METRICS_PORT on API and worker pods', () => {
    const ingressPorts = (name: string) =>
      ((get('NetworkPolicy', name).spec as { ingress: { ports: { port: number }[] }[] }).ingress ?? []).flatMap((rule) => rule.ports.map((p) => p.port));
    expect(ingressPorts('llm-lab-api-ingress')).toEqual([httpPort]);
    expect(ingressPorts('llm-lab-metrics-ingress')).toEqual([metricsPort()!]);
    const selector = (get('NetworkPolicy', 'llm-lab-metrics-ingress').spec as { podSelector: { matchExpressions: { key: string; values: string[] }[] } }).podSelector;
    expect(selector.matchExpressions.find((e) => e.key === 'app.kubernetes.io/component')?.values.sort()).toEqual(['api', 'worker']);
  });

  it('every environment variable the manifests set is one src/config.ts reads', () => {
    const names = new Map<string, string>();
    for (const w of workloads) for (const [name, source] of envNames(w, configMaps)) names.set(name, source);
    for (const name of Object.keys(secretKeys)) names.set(name, 'secret.example.yaml');
    // Keys the example names in its comments only (optional ones) must be read too.
    for (const [, name] of secretExampleText.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]+):/gm)) names.set(name!, 'secret.example.yaml (comment)');
    expect(deadSettings(names.keys(), new Set(configKeys.keys()))).toEqual([]);
    // And the check itself: a setting nobody reads is caught.
    expect(deadSettings(['PORT', 'LAB_WORKER_THREADS'], new Set(configKeys.keys()))).toEqual(['LAB_WORKER_THREADS']);
  });

  it('every secretKeyRef names a key of secret.example.yaml, and each container starts with that configuration', () => {
    const commands: Record<string, Command> = { 'llm-lab-api': 'serve', 'llm-lab-worker': 'worker', 'llm-lab-migrate': 'migrate' };
    for (const w of [api, worker, migrate]) {
      for (const c of containersOf(w)) {
        const env: Record<string, string> = {};
        for (const source of c.envFrom ?? []) Object.assign(env, configMaps.get(source.configMapRef!.name));
        for (const variable of c.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name, `${w.metadata.name} ${variable.name}`).toBe(secret.metadata.name);
            // A key the pods cannot start without is in the example; an optional one at least in its comments.
            if (!ref.optional) expect(Object.keys(secretKeys), `${w.metadata.name} ${variable.name}`).toContain(ref.key);
            else expect(secretExampleText, `${w.metadata.name} ${variable.name}`).toContain(ref.key);
            if (!(ref.key in secretKeys)) continue;
            // The example's placeholder is not a key; any valid one stands in.
            env[variable.name] = ref.key === 'LAB_SECRET_KEY' ? '0'.repeat(64) : secretKeys[ref.key]!;
          } else if (variable.value !== undefined) {
            env[variable.name] = variable.value;
          }
        }
        expect(c.args?.[0]).toBe(commands[w.metadata.name]);
        expect(() => requireFor(loadConfig(env), commands[w.metadata.name]!), `${w.metadata.name} ${c.name}`).not.toThrow();
        expect(env.NODE_ENV).toBe('production');
      }
    }
  });

  it('every container runs the image the Dockerfile documents, tagged with the package version', () => {
    const documented = /docker build -t (\S+) \./.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(documented).toBe(`ghcr.io/llm-research-lab/llm-lab:${version}`);
    expect(new Set(workloads.flatMap((w) => containersOf(w).map((c) => c.image)))).toEqual(new Set([documented]));
    // The README's one-off Job spells the image out: it must name the same one.
    const readmeImages = [...readFileSync('k8s/README.md', 'utf8').matchAll(/ghcr\.io\/[\w./-]+:[\w.-]+/g)].map((m) => m[0]);
    expect(new Set(readmeImages)).toEqual(new Set([documented]));
  });

  it('the API scales on CPU, the workers on queue depth (an external metric), and the counts belong to the HPAs', () => {
    type Hpa = { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; metrics: { type: string; resource?: { name: string }; external?: { metric: { name: string } } }[] } };
    const apiHpa = get('HorizontalPodAutoscaler', 'llm-lab-api') as K8sObject & Hpa;
    const workerHpa = get('HorizontalPodAutoscaler', 'llm-lab-worker') as K8sObject & Hpa;
    expect(apiHpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: api.metadata.name });
    expect(workerHpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: worker.metadata.name });
    expect(apiHpa.spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
    const external = workerHpa.spec.metrics.filter((m) => m.type === 'External').map((m) => m.external!.metric.name);
    expect(external).toEqual(['llm_lab_tasks_queued']);
    // An external metric exists only through an adapter: the HPA file and the operations guide say which.
    expect(readFileSync('k8s/worker-hpa.yaml', 'utf8')).toMatch(/prometheus-adapter[\s\S]*KEDA/);
    expect(readFileSync('docs/operations.md', 'utf8')).toContain('llm_lab_tasks_queued');
    for (const [hpa, deployment] of [[apiHpa, api], [workerHpa, worker]] as const) {
      // Utilization is a share of the CPU request: without one the HPA cannot compute it.
      expect(containersOf(deployment).every((c) => c.resources?.requests?.cpu)).toBe(true);
      expect((deployment.spec as { replicas?: number }).replicas, `${deployment.metadata.name}: replicas would undo the HPA`).toBeUndefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('selectors match their pods: Deployments, PodDisruptionBudgets', () => {
    for (const deployment of [api, worker]) {
      expect((deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual(podLabels(deployment));
      const pdb = get('PodDisruptionBudget', deployment.metadata.name) as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable: number } };
      expect(pdb.spec.selector.matchLabels).toEqual(podLabels(deployment));
      expect(pdb.spec.maxUnavailable).toBe(1);
    }
  });

  it('the operator checks catch what they guard against', () => {
    const bad = structuredClone(api);
    const [container] = (podSpecOf(bad) as { containers: Record<string, any>[] }).containers;
    container!.securityContext = { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] } };
    delete container!.resources.limits;
    container!.readinessProbe.httpGet.path = '/healthz';
    container!.ports = container!.ports.filter((p: { name: string }) => p.name !== 'metrics');
    (podSpecOf(bad) as { securityContext: Record<string, unknown> }).securityContext = { runAsUser: 0 };
    expect(resourceProblems(bad)).toEqual(['Deployment/llm-lab-api container api: no limits.cpu', 'Deployment/llm-lab-api container api: no limits.memory']);
    expect(securityProblems(bad)).toEqual([
      'Deployment/llm-lab-api: seccompProfile must be RuntimeDefault',
      'Deployment/llm-lab-api container api: runAsNonRoot must be true',
      'Deployment/llm-lab-api container api: runAsUser 0 is root',
      'Deployment/llm-lab-api container api: allowPrivilegeEscalation must be false',
      'Deployment/llm-lab-api container api: readOnlyRootFilesystem must be true',
      'Deployment/llm-lab-api container api: privileged',
      'Deployment/llm-lab-api container api: capabilities must drop ALL',
      'Deployment/llm-lab-api container api: adds capabilities NET_ADMIN',
    ]);
    expect(apiProbeProblems(bad, httpPort)).toEqual(['Deployment/llm-lab-api container api: readinessProbe must GET /readyz, not /healthz']);
    expect(metricsPortProblems(bad, 9464)).toEqual(['Deployment/llm-lab-api container api: no container port named metrics']);
    const service = structuredClone(get('Service', 'llm-lab-api')) as K8sObject & { spec: { ports: unknown[] } };
    service.spec.ports.push({ name: 'scrape', port: 9464, targetPort: 'metrics' });
    expect(serviceExposesMetrics(service, 9464)).toEqual(['Service/llm-lab-api: port scrape exposes the metrics port']);
  });
});

function podLabels(workload: K8sObject): Record<string, string> {
  return (workload.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
}
