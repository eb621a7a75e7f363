import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { roles } from '../../src/modules/auth/viewer.js';
import { securityProblems } from './checks.js';
import { parseYamlDocuments, type K8sObject } from './kustomize.js';
import { schemaProblems } from './schema.js';

/** docs/operations.md and k8s/README.md tell operators what to type: hold them to src/. */

const DOCS = ['docs/operations.md', 'k8s/README.md'];
const text = (path: string) => readFileSync(path, 'utf8');
const configKeys = new Set(Object.values(configSchema.shape).flatMap((group) => Object.keys(group.shape)));

describe('the operations docs match the code', () => {
  it.each(DOCS)('%s names only environment variables src/config.ts reads', (path) => {
    const named = new Set(text(path).match(/\b(?:LAB|DATABASE|REDIS|CLICKHOUSE|S3|METRICS|NODE|LOG|PUBLIC|HOST|PORT)(?:_[A-Z0-9]+)*\b/g));
    const unknown = [...named].filter((name) => !configKeys.has(name) && /_|^(PORT|HOST)$/.test(name));
    expect(unknown).toEqual([]);
  });

  it.each(DOCS)('%s runs only CLI commands and options src/ defines', (path) => {
    const sources = ['src/commands.ts', ...readdirSync('src/cli').map((f) => `src/cli/${f}`)].map(text).join('\n');
    const commands = new Set([...sources.matchAll(/\bprogram\s*\.command\('([\w-]+)'\)/g)].map((m) => m[1]!));
    const options = new Set([...sources.matchAll(/'(--[\w-]+)/g)].map((m) => m[1]!));
    const invocations = [...text(path).replace(/\\\n\s*/g, ' ').matchAll(/(node dist\/src\/main\.js|llm-lab)((?: (?!-)[\w-]+)+)((?: --[\w-]+(?: (?:"[^"]*"|[\w-]+))?)*)/g)];
    expect(invocations.some(([, program]) => program !== 'llm-lab')).toBe(true);
    for (const [whole, program, words, flags] of invocations) {
      const [first, second] = words!.trim().split(' ');
      // After `llm-lab`, a word that is no command is prose ("the llm-lab namespace"); after the entry file it is a mistake.
      if (program === 'llm-lab' && !commands.has(first!)) continue;
      expect(commands, whole).toContain(first);
      if (first === 'api-key') expect(sources, whole).toContain(`.command('${second}')`);
      for (const [, flag, value] of flags!.matchAll(/(--[\w-]+)(?: ("[^"]*"|[\w-]+))?/g)) {
        expect(options, whole).toContain(flag);
        if (flag === '--role') expect(roles, whole).toContain(value);
      }
    }
  });

  it('the one-off Job in k8s/README.md is a valid, restricted Job', () => {
    const yaml = /<<'YAML'\n([\s\S]*?)\nYAML/.exec(text('k8s/README.md'))?.[1];
    expect(yaml).toBeDefined();
    const [job] = parseYamlDocuments(yaml!, 'k8s/README.md') as K8sObject[];
    expect(schemaProblems(job!)).toEqual([]);
    expect(securityProblems(job!)).toEqual([]);
  });
});
