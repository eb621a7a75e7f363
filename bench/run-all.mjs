// `npm run bench`: runs every bench/*.ts script in turn (each prints one JSON line); figures in
// docs come from these lines, with the machine noted. `npm run bench -- NAME [flags]` runs only
// bench/NAME.ts with those flags (each script refuses flags it does not know).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(here).filter((name) => name.endsWith('.ts')).sort();
const [first, ...rest] = process.argv.slice(2);
const named = first && !first.startsWith('-') ? `${first.replace(/\.ts$/, '')}.ts` : null;
if (named && !all.includes(named)) {
  console.error(`no bench named ${first}; the benches are: ${all.map((s) => s.replace(/\.ts$/, '')).join(', ')}`);
  process.exit(2);
}
if (!named && first) {
  console.error('flags go to one bench: npm run bench -- NAME [flags]');
  process.exit(2);
}
let failed = 0;
for (const script of named ? [named] : all) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${here}${script}`, ...(named ? rest : [])], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench ${script} failed (exit ${run.status})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
