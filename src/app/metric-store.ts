import type { Config } from '../config.js';
import type { MetricStore } from '../modules/metrics/metric-store.js';
import { ClickHouseMetricStore } from '../modules/metrics/metrics.clickhouse.js';
import { PostgresMetricStore } from '../modules/metrics/metrics.postgres.js';
import { createClickHouse, migrateClickHouse } from '../storage/clickhouse.js';
import type { Database } from '../storage/postgres.js';

/** ClickHouse when CLICKHOUSE_URL is set (its migrations applied first when `migrate`), else PostgreSQL's metric_points. */
export async function openMetricStore(config: Config['clickhouse'], database: Database, options: { migrate: boolean }): Promise<MetricStore> {
  if (!config.CLICKHOUSE_URL) return new PostgresMetricStore(database.db);
  const client = createClickHouse({ url: config.CLICKHOUSE_URL });
  try {
    if (options.migrate) await migrateClickHouse(client, config.CLICKHOUSE_DATABASE);
  } catch (err) {
    await client.close();
    throw new Error(`Cannot migrate ClickHouse at ${config.CLICKHOUSE_URL} (CLICKHOUSE_URL): ${(err as Error).message}`);
  }
  return new ClickHouseMetricStore(client, config.CLICKHOUSE_DATABASE);
}

/** `llm-lab migrate`: ClickHouse's migrations, when it is configured. */
export async function migrateMetricStore(config: Config['clickhouse']): Promise<boolean> {
  if (!config.CLICKHOUSE_URL) return false;
  const client = createClickHouse({ url: config.CLICKHOUSE_URL });
  try {
    await migrateClickHouse(client, config.CLICKHOUSE_DATABASE);
    return true;
  } finally {
    await client.close();
  }
}
