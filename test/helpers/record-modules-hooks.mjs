// Module hooks for record-modules.mjs: appends each resolved URL of the lab's own modules to the file
// it was given, as it is resolved (synchronously, so nothing is lost when the process exits at once).
import { appendFileSync } from 'node:fs';

let file;
export async function initialize(data) {
  file = data.file;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const at = result.url.indexOf('/src/');
  if (at >= 0 && result.url.startsWith('file:')) appendFileSync(file, `${result.url.slice(at + 1)}\n`);
  return result;
}
