-- version 8: where a run's student fits ran and how many tasks went there, as JSON: {"backend": "serial" |
-- "loky n_jobs=K" | "dask tcp://HOST:PORT", "tasks": N} for the run's last start (a resumed run counts the tasks
-- of its last part). Runs stored before have none (NULL): they fitted in their own process.
ALTER TABLE runs ADD COLUMN compute VARCHAR;
