-- version 6: a run keeps the evaluation plan it resolved (scheme, folds, repeats, how the folds were drawn) and
-- each row's (repeat, fold): the fold whose training rows leave it out, and whether that fold scores it. Everything
-- that reads a run's folds afterwards (summaries, calibration, budget curves, headlines) reads them here instead of
-- recomputing them from the config with whatever code is current. Runs stored before have none (NULL, no rows).
ALTER TABLE runs ADD COLUMN evaluation_plan VARCHAR;
CREATE TABLE run_folds (
    run_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    repeat INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    scored BOOLEAN NOT NULL,  -- a gold row this fold's students are scored on; else a row only kept from training
    PRIMARY KEY (run_id, repeat, example_id)
);
-- Each page frame also says which code version computed it; frames of another version are ignored (NULL: stored
-- before, never read), so code that computes the same columns differently never shows older numbers.
ALTER TABLE page_frames ADD COLUMN code_version VARCHAR;
