-- version 4: what the dashboard's pages show first, computed when a run finishes (or its map is built) and
-- kept as Parquet, so a first visit reads kilobytes instead of aggregating every example of a large data set
CREATE TABLE page_frames (
    run_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    frame BLOB NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, name)
);
