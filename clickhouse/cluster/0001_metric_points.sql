-- As ../migrations/0001_metric_points.sql, replicated on each shard: sorted by the point's identity (run, name, task), ReplacingMergeTree(time_ms) keeps its latest version, and reads use FINAL.
-- No PARTITION BY: versions of one point are only replaced within a partition, and a point rewritten later must not land in another.
CREATE TABLE IF NOT EXISTS {database}.metric_points_local ON CLUSTER '{cluster}' (
  project_id String,
  experiment_id String,
  run_id String,
  task_id String,
  model_id String,
  prompt_version_id String,
  row_index UInt32,
  repetition UInt32,
  name String,
  value Float64,
  time_ms UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/metric_points_local', '{replica}', time_ms)
ORDER BY (run_id, name, task_id);

-- Sharded by run: all versions of a point meet on one shard, where FINAL merges them.
CREATE TABLE IF NOT EXISTS {database}.metric_points ON CLUSTER '{cluster}' AS {database}.metric_points_local
ENGINE = Distributed('{cluster}', {database}, metric_points_local, cityHash64(run_id));
