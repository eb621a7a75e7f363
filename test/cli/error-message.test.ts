import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/cli/error-message.js';

describe('errorMessage', () => {
  it('says something for every failure a library may throw, never "undefined" or nothing', () => {
    const thrown: unknown[] = [undefined, null, '', new Error(''), new AggregateError([]), Object.assign(new Error(''), { code: 'ECONNREFUSED' }), { code: 1 }];
    for (const err of thrown) {
      const message = errorMessage(err);
      expect(message.trim(), String(err)).not.toBe('');
      expect(message).not.toMatch(/^(undefined|null)$/);
    }
  });

  it('keeps a message that is there, and finds the one inside an empty wrapper', () => {
    expect(errorMessage(new Error('port 4000 is in use'))).toBe('port 4000 is in use');
    expect(errorMessage(new AggregateError([new Error('connect ECONNREFUSED 127.0.0.1:5432')]))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(errorMessage(new Error('', { cause: new Error('the cause') }))).toBe('the cause');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(Object.assign(new Error(''), { code: 'ECONNREFUSED' }))).toBe('Error (ECONNREFUSED) without a message');
  });
});
