-- Releases the migration lock (see lock.sql).
DROP TABLE IF EXISTS {{.DB}}.`heimsight_schema_lock` {{.OnCluster}} SYNC
