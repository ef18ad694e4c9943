-- version 2: pending Message Batches, computed slices with their slicers' fingerprints, proposed taxonomies
CREATE TABLE llm_batches (
    batch_id VARCHAR PRIMARY KEY,
    provider VARCHAR NOT NULL,
    cache_keys VARCHAR[] NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
DROP TABLE slices;  -- version 1 had the table but nothing wrote to it
CREATE TABLE slices (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    slice VARCHAR NOT NULL,
    score DOUBLE,
    bucket VARCHAR,
    PRIMARY KEY (dataset_id, example_id, slice)
);
CREATE TABLE slicers (  -- what each slicer last computed, from which inputs
    dataset_id VARCHAR NOT NULL,
    slicer VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    slices VARCHAR[] NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset_id, slicer)
);
CREATE TABLE taxonomies (
    taxonomy_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    labels JSON NOT NULL,
    provenance JSON NOT NULL,
    created_at TIMESTAMP NOT NULL
);
