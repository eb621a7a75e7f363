import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('config', () => {
  it('has defaults for a bare environment, empty strings counting as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(config.server.PORT).toBe(4000);
    expect(config.postgres.DATABASE_URL).toBeUndefined();
    expect(config.lab.LAB_DATA_DIR).toBe('./.lab');
    expect(config.server.NODE_ENV).toBe('development');
  });

  it('names every bad variable and what it must be', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'localhost:5432', LOG_LEVEL: 'loud', LAB_SECRET_KEY: 'short' });
      expect.unreachable('loadConfig accepted a bad environment');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as ConfigError).message;
      expect(message).toContain('PORT: must be a whole number');
      expect(message).toContain('DATABASE_URL: must be a URL');
      expect(message).toContain('LOG_LEVEL:');
      expect(message).toContain('LAB_SECRET_KEY: must be 32 bytes');
      expect((err as ConfigError).problems).toHaveLength(4);
    }
  });

  it('needs S3_BUCKET with S3_ENDPOINT', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow('S3_BUCKET: must be set');
  });
});
