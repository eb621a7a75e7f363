import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Services } from '../app/modules.js';
import { ProviderKind } from '../modules/models/provider-kind.js';

export const DEMO_PROJECT = 'Demo';

export interface DemoSeed {
  projectId: string;
  /** The admin key to print, or null when it was printed on an earlier start (it is in keyFile). */
  newKey: string | null;
  keyFile: string | null;
}

/**
 * The demo project with an admin key, an ECHO model, a prompt and an experiment.
 * LAB_ADMIN_API_KEY, when set, is the admin key; otherwise one is generated once and kept in the data folder.
 */
export async function seedDemo(services: Services, dataDir: string, fixedKey: string | undefined): Promise<DemoSeed> {
  const project = await services.projects.findOrCreate(DEMO_PROJECT);
  if (fixedKey) {
    const key = await services.auth.ensureKey(project.id, 'demo admin', 'ADMIN', fixedKey);
    if (key.revokedAt) throw new Error('LAB_ADMIN_API_KEY: this key was revoked; set another value, or unset it to have one generated.');
    return { projectId: project.id, newKey: fixedKey, keyFile: null };
  }
  const keyFile = join(dataDir, 'admin-api-key');
  const saved = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
  // A saved key that was revoked meanwhile is replaced by a new one, printed like the first.
  if (saved && !(await services.auth.ensureKey(project.id, 'demo admin', 'ADMIN', saved)).revokedAt) {
    return { projectId: project.id, newKey: null, keyFile };
  }
  const { secret } = await services.auth.createKey(project.id, 'demo admin', 'ADMIN');
  writeFileSync(keyFile, `${secret}\n`, { mode: 0o600 });
  await seedDemoContent(services, project.id);
  return { projectId: project.id, newKey: secret, keyFile };
}

async function seedDemoContent(services: Services, projectId: string): Promise<void> {
  if ((await services.models.count(projectId)) > 0) return;
  await services.models.create(projectId, { name: 'echo', provider: ProviderKind.ECHO, modelName: 'echo-1' });
  const dataset = await services.datasets.create(projectId, {
    name: 'capital-cities',
    description: `${CAPITALS.length} countries and their capitals: the demo's questions.`,
  });
  const rows = CAPITALS.map(([country, capital]) => JSON.stringify({ input: { country }, expected: capital }));
  await services.datasets.importFile(projectId, dataset.id, 'JSONL', Buffer.from(`${rows.join('\n')}\n`));
  await services.prompts.create(projectId, {
    name: 'capital-cities',
    description: 'Asks for the capital of a country.',
    system: 'Answer with the city name only.',
    template: 'What is the capital of {{country}}?',
  });
  await services.experiments.create(projectId, {
    name: 'Demo: capital cities',
    description: 'A first experiment to try the lab with the offline ECHO model.',
    hypothesis: 'A one-line system prompt is enough for exact answers.',
    tags: ['demo'],
  });
}

/** The demo dataset: questions with one right answer each, so exact match means something. */
const CAPITALS: [country: string, capital: string][] = [
  ['France', 'Paris'],
  ['Japan', 'Tokyo'],
  ['Kenya', 'Nairobi'],
  ['Brazil', 'Brasilia'],
  ['Canada', 'Ottawa'],
  ['Australia', 'Canberra'],
  ['Egypt', 'Cairo'],
  ['India', 'New Delhi'],
  ['Norway', 'Oslo'],
  ['Peru', 'Lima'],
  ['Vietnam', 'Hanoi'],
  ['Morocco', 'Rabat'],
  ['Turkey', 'Ankara'],
  ['Chile', 'Santiago'],
  ['Poland', 'Warsaw'],
  ['Ghana', 'Accra'],
  ['Portugal', 'Lisbon'],
  ['Mongolia', 'Ulaanbaatar'],
  ['New Zealand', 'Wellington'],
  ['Switzerland', 'Bern'],
];
