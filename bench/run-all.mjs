// `npm run bench`: runs every bench/*.ts script in turn (each prints one JSON line) and
// forwards their arguments; figures in docs come from these lines, with the machine noted.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const scripts = readdirSync(here).filter((name) => name.endsWith('.ts')).sort();
let failed = 0;
for (const script of scripts) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${here}${script}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench ${script} failed (exit ${run.status})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
