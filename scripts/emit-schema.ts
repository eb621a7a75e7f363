// Writes schema/schema.graphql from the type-graphql classes: `npm run schema:emit`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { printLabSchema } from '../src/server/schema.js';

const target = join(packageRoot(), 'schema', 'schema.graphql');
writeFileSync(target, await printLabSchema());
console.log(`wrote ${target}`);
