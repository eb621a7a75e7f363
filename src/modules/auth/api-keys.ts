import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'lab_';
/** `lab_` plus 8 characters: enough to tell keys apart in a list, far too few to guess the rest. */
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function apiKeyPrefix(secret: string): string {
  return secret.slice(0, SHOWN_PREFIX_LENGTH);
}
