-- Sorted by the point's identity (run, name, task), which every read filters by run; ReplacingMergeTree(time_ms) keeps the latest version of each identity, and reads use FINAL so a duplicate not yet merged away is counted once.
-- No PARTITION BY: versions of one point are only replaced within a partition, and a point rewritten later must not land in another.
CREATE TABLE IF NOT EXISTS {database}.metric_points (
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
) ENGINE = ReplacingMergeTree(time_ms)
ORDER BY (run_id, name, task_id);
