import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSecretKey } from '../config.js';

/** LAB_SECRET_KEY when set; else, for `dev` only, a key generated once into the data folder. */
export function loadOrCreateSecretKey(configured: string | undefined, dataDir: string | null): Buffer {
  if (configured) return decodeSecretKey(configured)!;
  if (!dataDir) throw new Error('LAB_SECRET_KEY: required (32 bytes as 64 hex characters); it encrypts model API keys at rest.');
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) {
    const key = decodeSecretKey(readFileSync(file, 'utf8').trim());
    if (!key) throw new Error(`${file} does not hold a 32-byte hex key; restore it, or delete it (stored model API keys then cannot be read).`);
    return key;
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
