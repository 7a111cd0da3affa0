-- The database every other statement lives in. Idempotent: it runs before the migration lock
-- is taken, possibly from several processes at once.
CREATE DATABASE IF NOT EXISTS {{.DB}} {{.OnCluster}}
