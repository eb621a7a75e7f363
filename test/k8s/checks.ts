import { podContainers, podSpecOf, type K8sObject } from './kustomize.js';

/**
 * What operators need of the manifests beyond the schema. Each check returns its problems as
 * lines (empty: fine), so a test can show all of them and a negative test can break one on purpose.
 */

type Probe = { httpGet?: { path?: string; port?: string | number } };
type Port = { name?: string; containerPort: number };
type Container = {
  name: string;
  image: string;
  args?: string[];
  ports?: Port[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; runAsNonRoot?: boolean; runAsUser?: number; capabilities?: { drop?: string[]; add?: string[] } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
};
type PodSpec = { securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } }; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };

export const containersOf = (workload: K8sObject) => podContainers(workload) as unknown as Container[];
const podOf = (workload: K8sObject) => podSpecOf(workload) as PodSpec;
const where = (workload: K8sObject, container?: Container) => `${workload.kind}/${workload.metadata.name}${container ? ` container ${container.name}` : ''}`;

/** Requests and limits for CPU and memory on every container. */
export function resourceProblems(workload: K8sObject): string[] {
  return containersOf(workload).flatMap((c) =>
    (['requests', 'limits'] as const).flatMap((kind) =>
      ['cpu', 'memory'].filter((resource) => !c.resources?.[kind]?.[resource]).map((resource) => `${where(workload, c)}: no ${kind}.${resource}`),
    ),
  );
}

/** The restricted Pod Security Standard and a read-only root filesystem. */
export function securityProblems(workload: K8sObject): string[] {
  const pod = podOf(workload);
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  if (podContext.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where(workload)}: seccompProfile must be RuntimeDefault`);
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where(workload)}: uses a host namespace`);
  for (const c of containersOf(workload)) {
    const context = c.securityContext ?? {};
    const nonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    const user = context.runAsUser ?? podContext.runAsUser;
    if (nonRoot !== true) problems.push(`${where(workload, c)}: runAsNonRoot must be true`);
    if (user === 0) problems.push(`${where(workload, c)}: runAsUser 0 is root`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${where(workload, c)}: allowPrivilegeEscalation must be false`);
    if (context.readOnlyRootFilesystem !== true) problems.push(`${where(workload, c)}: readOnlyRootFilesystem must be true`);
    if (context.privileged) problems.push(`${where(workload, c)}: privileged`);
    if (!context.capabilities?.drop?.includes('ALL')) problems.push(`${where(workload, c)}: capabilities must drop ALL`);
    if (context.capabilities?.add?.length) problems.push(`${where(workload, c)}: adds capabilities ${context.capabilities.add.join(', ')}`);
  }
  return problems;
}

/** The container port a probe or Service names, by name or number. */
export function resolvePort(container: Container, port: string | number | undefined): Port | undefined {
  return container.ports?.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}

/** Liveness (and startup) on /healthz and readiness on /readyz, both on the HTTP port. */
export function apiProbeProblems(workload: K8sObject, httpPort: number): string[] {
  return containersOf(workload).flatMap((c) => {
    const expect = (kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', path: string, required: boolean): string[] => {
      const probe = c[kind];
      if (!probe) return required ? [`${where(workload, c)}: no ${kind}`] : [];
      if (probe.httpGet?.path !== path) return [`${where(workload, c)}: ${kind} must GET ${path}, not ${probe.httpGet?.path}`];
      const port = resolvePort(c, probe.httpGet.port);
      return port?.containerPort === httpPort ? [] : [`${where(workload, c)}: ${kind} port ${String(probe.httpGet.port)} is not the HTTP port ${httpPort}`];
    };
    return [...expect('livenessProbe', '/healthz', true), ...expect('readinessProbe', '/readyz', true), ...expect('startupProbe', '/healthz', false)];
  });
}

/** A container port named `metrics` on METRICS_PORT. */
export function metricsPortProblems(workload: K8sObject, metricsPort: number): string[] {
  return containersOf(workload).flatMap((c) => {
    const port = resolvePort(c, 'metrics');
    if (!port) return [`${where(workload, c)}: no container port named metrics`];
    return port.containerPort === metricsPort ? [] : [`${where(workload, c)}: metrics port ${port.containerPort} is not METRICS_PORT ${metricsPort}`];
  });
}

/** A Service must not route to the metrics port, by name or by number. */
export function serviceExposesMetrics(service: K8sObject, metricsPort: number): string[] {
  const ports = (service.spec as { ports?: { name?: string; port: number; targetPort?: string | number }[] }).ports ?? [];
  return ports
    .filter((p) => p.targetPort === 'metrics' || p.targetPort === metricsPort || (p.targetPort === undefined && p.port === metricsPort) || p.name === 'metrics')
    .map((p) => `Service/${service.metadata.name}: port ${p.name ?? p.port} exposes the metrics port`);
}

/** Every environment variable a container sets, with where it comes from. */
export function envNames(workload: K8sObject, configMaps: Map<string, Record<string, string>>): Map<string, string> {
  const names = new Map<string, string>();
  for (const c of containersOf(workload)) {
    for (const source of c.envFrom ?? []) {
      if (source.secretRef) throw new Error(`${where(workload, c)}: envFrom secretRef sets names this test cannot see; use secretKeyRef per variable`);
      const data = configMaps.get(source.configMapRef!.name);
      if (!data) throw new Error(`${where(workload, c)}: ConfigMap ${source.configMapRef!.name} is not in the manifests`);
      for (const name of Object.keys(data)) names.set(name, `ConfigMap/${source.configMapRef!.name}`);
    }
    for (const variable of c.env ?? []) names.set(variable.name, where(workload, c));
  }
  return names;
}

/** Names that src/config.ts does not read: settings that would silently do nothing. */
export function deadSettings(names: Iterable<string>, configKeys: ReadonlySet<string>): string[] {
  return [...names].filter((name) => !configKeys.has(name));
}
