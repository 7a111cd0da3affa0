-- One row per applied migration. ReplacingMergeTree keyed by version: if two runners ever both
-- apply a version (the lock went stale under a very slow migration), the duplicate collapses and
-- readers use FINAL. Idempotent like 0001: runs before the lock.
CREATE TABLE IF NOT EXISTS {{.DB}}.`heimsight_schema_migrations` {{.OnCluster}} (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC'),
    applied_by String
) ENGINE = {{engine "ReplacingMergeTree"}}
ORDER BY version
