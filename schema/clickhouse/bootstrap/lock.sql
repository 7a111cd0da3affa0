-- The migration lock. Deliberately without IF NOT EXISTS: CREATE TABLE of an existing name fails
-- with TABLE_ALREADY_EXISTS, so exactly one of several concurrent runners creates it and holds
-- the lock. The holder drops it when done; a lock older than the stale timeout (a runner that
-- died) is dropped by the next runner. Its age is the table's creation time in system.tables.
CREATE TABLE {{.DB}}.`heimsight_schema_lock` {{.OnCluster}} (
    owner String
) ENGINE = Memory
