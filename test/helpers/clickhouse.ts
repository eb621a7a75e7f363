import { randomBytes } from 'node:crypto';
import { createClickHouse, migrateClickHouse, type ClickHouseClient } from '../../src/storage/clickhouse.js';

export const CLICKHOUSE_URL = process.env.TEST_CLICKHOUSE_URL || 'http://127.0.0.1:8123';

export interface OwnClickHouse {
  client: ClickHouseClient;
  /** A migrated database of the caller's own, `lab_test_<hex>`. */
  database: string;
  url: string;
  /** Drops the database and closes the client. */
  drop(): Promise<void>;
}

/** A fresh, migrated database on the test ClickHouse (TEST_CLICKHOUSE_URL), so tests never share points. */
export async function ownClickHouse(): Promise<OwnClickHouse> {
  const client = createClickHouse({ url: CLICKHOUSE_URL });
  const database = `lab_test_${randomBytes(6).toString('hex')}`;
  try {
    await migrateClickHouse(client, database);
  } catch (err) {
    await client.close();
    throw new Error(`Cannot prepare a ClickHouse database on ${CLICKHOUSE_URL} (set TEST_CLICKHOUSE_URL): ${(err as Error).message}`);
  }
  return {
    client,
    database,
    url: CLICKHOUSE_URL,
    drop: async () => {
      try {
        await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      } finally {
        await client.close();
      }
    },
  };
}
