import { inject } from 'vitest';
import { PostgresMetricStore } from '../../src/modules/metrics/metrics.postgres.js';
import { connectDatabase } from '../../src/storage/postgres.js';
import { describeMetricStoreContract } from './metric-store.contract.js';

describeMetricStoreContract('postgres', async () => {
  const database = connectDatabase(inject('databaseUrl'), { poolSize: 2 });
  return { store: new PostgresMetricStore(database.db), close: database.close };
});
