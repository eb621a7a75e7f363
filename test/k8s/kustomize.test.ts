import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { build, overrideImage, parseYamlDocuments, splitImage, type K8sObject } from './kustomize.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A kustomization folder with these files (kustomization.yaml included). */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-kustomize-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const KUSTOMIZATION = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';
const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n';
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      initContainers: [{ name: init, image: "lab:1" }]
      containers: [{ name: web, image: lab }, { name: side, image: "other:2" }]
`;

describe('kustomize helper (test/k8s/kustomize.ts)', () => {
  it('sets the namespace on namespaced objects only, and rewrites matching images', () => {
    const dir = folder({
      'kustomization.yaml': `${KUSTOMIZATION}namespace: lab\nresources: [ns.yaml, deploy.yaml]\nimages:\n  - { name: lab, newName: registry.example/lab, newTag: "2.0" }\n`,
      'ns.yaml': NAMESPACE,
      'deploy.yaml': DEPLOYMENT,
    });
    const [namespace, deployment] = build(dir) as [K8sObject, K8sObject & { spec: { template: { spec: { initContainers: { image: string }[]; containers: { image: string }[] } } } }];
    expect(namespace.metadata.namespace).toBeUndefined();
    expect(deployment.metadata.namespace).toBe('lab');
    expect(deployment.spec.template.spec.initContainers[0]!.image).toBe('registry.example/lab:2.0');
    expect(deployment.spec.template.spec.containers.map((c) => c.image)).toEqual(['registry.example/lab:2.0', 'other:2']);
  });

  it.each([
    ['commonLabels', 'commonLabels: { team: a }\n'],
    ['labels', 'labels: [{ pairs: { team: a } }]\n'],
    ['patches', 'patches: [{ path: p.yaml }]\n'],
    ['configMapGenerator', 'configMapGenerator: [{ name: c, literals: [A=1] }]\n'],
  ])('refuses a kustomization using %s, which it does not implement', (field, yaml) => {
    const dir = folder({ 'kustomization.yaml': `${KUSTOMIZATION}resources: [deploy.yaml]\n${yaml}`, 'deploy.yaml': DEPLOYMENT });
    expect(() => build(dir)).toThrow(new RegExp(`unsupported kustomize field\\(s\\) ${field}`));
  });

  it('refuses unsupported images fields, directories as resources, and a Namespace named unlike namespace:', () => {
    expect(() => build(folder({ 'kustomization.yaml': `${KUSTOMIZATION}resources: [d.yaml]\nimages: [{ name: lab, newTagg: x }]\n`, 'd.yaml': DEPLOYMENT }))).toThrow(/unsupported images field\(s\) newTagg/);
    const withSub = folder({ 'kustomization.yaml': `${KUSTOMIZATION}resources: [base]\n` });
    mkdirSync(join(withSub, 'base'));
    expect(() => build(withSub)).toThrow(/resource base is not a local file/);
    expect(() => build(folder({ 'kustomization.yaml': `${KUSTOMIZATION}namespace: other\nresources: [ns.yaml]\n`, 'ns.yaml': NAMESPACE }))).toThrow(/differs from namespace/);
  });

  it('refuses broken YAML, duplicate keys and objects defined twice', () => {
    expect(() => parseYamlDocuments('a: [1, 2\n', 'x.yaml')).toThrow(/x\.yaml/);
    expect(() => parseYamlDocuments('a: 1\na: 2\n', 'x.yaml')).toThrow(/x\.yaml/);
    expect(() => build(folder({ 'kustomization.yaml': `${KUSTOMIZATION}resources: [a.yaml, b.yaml]\n`, 'a.yaml': NAMESPACE, 'b.yaml': NAMESPACE }))).toThrow(/Namespace\/lab is defined twice/);
  });

  it('splits and overrides image references as kustomize does', () => {
    expect(splitImage('registry:5000/team/lab:1.2@sha256:abc')).toEqual({ name: 'registry:5000/team/lab', tag: '1.2', digest: 'sha256:abc' });
    expect(splitImage('registry:5000/team/lab')).toEqual({ name: 'registry:5000/team/lab' });
    expect(overrideImage('lab:1', { name: 'lab', newName: 'r/lab' })).toBe('r/lab:1');
    expect(overrideImage('lab:1', { name: 'lab', digest: 'sha256:f' })).toBe('lab@sha256:f');
    expect(overrideImage('lab-2:1', { name: 'lab', newTag: '9' })).toBe('lab-2:1');
  });

  // The helper stands in for kustomize; where kubectl is installed, hold it to kustomize's own output.
  it.skipIf(!hasKubectl())('builds k8s/ exactly as `kubectl kustomize k8s` does', () => {
    const ours = build('k8s');
    const theirs = parseYamlDocuments(execFileSync('kubectl', ['kustomize', 'k8s'], { encoding: 'utf8' }), 'kubectl kustomize') as K8sObject[];
    const byId = (objects: K8sObject[]) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    expect(byId(ours)).toEqual(byId(theirs));
  });
});

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
