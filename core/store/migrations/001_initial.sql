-- version 1: data sets, teachers and labels, runs and fits, summaries, maps, review
CREATE TABLE datasets (
    dataset_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    source_path VARCHAR,
    column_mapping VARCHAR NOT NULL,
    label_set VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    n_examples INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE examples (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    gold VARCHAR,
    split VARCHAR,
    PRIMARY KEY (dataset_id, example_id)
);
CREATE TABLE example_columns (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    value VARCHAR,
    PRIMARY KEY (dataset_id, example_id, column_name)
);
CREATE TABLE teachers (
    teacher_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    simulated BOOLEAN NOT NULL,
    config VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE teacher_labels (
    teacher_id VARCHAR NOT NULL,
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    label VARCHAR,
    abstain_reason VARCHAR,
    probs VARCHAR,
    confidence DOUBLE,
    raw_response VARCHAR,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd DOUBLE NOT NULL,
    latency_ms DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (teacher_id, dataset_id, example_id)
);
CREATE TABLE embeddings (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    vector FLOAT[] NOT NULL,
    PRIMARY KEY (dataset_id, example_id, model)
);
CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    dataset_id VARCHAR NOT NULL,
    config VARCHAR NOT NULL,
    code_version VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    error VARCHAR,
    timings VARCHAR,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE TABLE run_teachers (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    teacher_id VARCHAR NOT NULL,
    PRIMARY KEY (run_id, teacher_name)
);
CREATE TABLE fits (
    run_id VARCHAR NOT NULL,
    trained_on VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL,
    accuracy_lo DOUBLE NOT NULL,
    accuracy_hi DOUBLE NOT NULL,
    macro_f1 DOUBLE NOT NULL,
    macro_f1_lo DOUBLE NOT NULL,
    macro_f1_hi DOUBLE NOT NULL,
    seconds DOUBLE NOT NULL,
    PRIMARY KEY (run_id, trained_on, label_mode, size, seed)
);
CREATE TABLE predictions (
    run_id VARCHAR NOT NULL,
    trained_on VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    example_id VARCHAR NOT NULL,
    predicted VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL
);
CREATE TABLE teacher_scores (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    n_test INTEGER NOT NULL,
    n_answered INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL,
    accuracy_lo DOUBLE NOT NULL,
    accuracy_hi DOUBLE NOT NULL,
    macro_f1 DOUBLE NOT NULL,
    macro_f1_lo DOUBLE NOT NULL,
    macro_f1_hi DOUBLE NOT NULL,
    PRIMARY KEY (run_id, teacher_name)
);
CREATE TABLE curve_points (
    run_id VARCHAR NOT NULL,
    trained_on VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    metric VARCHAR NOT NULL,
    mean DOUBLE NOT NULL,
    lo DOUBLE NOT NULL,
    hi DOUBLE NOT NULL,
    n_seeds INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    PRIMARY KEY (run_id, trained_on, label_mode, size, metric)
);
CREATE TABLE comparisons (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    metric VARCHAR NOT NULL,
    versus VARCHAR NOT NULL,
    diff DOUBLE NOT NULL,
    lo DOUBLE NOT NULL,
    hi DOUBLE NOT NULL,
    PRIMARY KEY (run_id, teacher_name, label_mode, size, metric, versus)
);
CREATE TABLE example_predictions (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    predicted VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    probs DOUBLE[] NOT NULL,
    PRIMARY KEY (run_id, teacher_name, example_id)
);
CREATE TABLE projections (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    x DOUBLE NOT NULL,
    y DOUBLE NOT NULL,
    PRIMARY KEY (dataset_id, example_id, method)
);
CREATE TABLE clusters (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    cluster INTEGER NOT NULL,
    PRIMARY KEY (run_id, teacher_name, example_id)
);
CREATE TABLE cluster_terms (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    cluster INTEGER NOT NULL,
    terms VARCHAR NOT NULL,
    PRIMARY KEY (run_id, teacher_name, cluster)
);
CREATE TABLE rankings (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    strategy VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    score DOUBLE NOT NULL,
    reason VARCHAR NOT NULL
);  -- no key: only write_rankings writes it, replacing a teacher's rankings whole
CREATE TABLE budget_curves (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    strategy VARCHAR NOT NULL,
    budget INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL,
    lo DOUBLE NOT NULL,
    hi DOUBLE NOT NULL,
    label_error DOUBLE NOT NULL,
    precision DOUBLE,
    n_seeds INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    gold_accuracy DOUBLE NOT NULL,
    checks_to_half_gap INTEGER,
    PRIMARY KEY (run_id, teacher_name, strategy, budget)
);
CREATE TABLE llm_calls (
    cache_key VARCHAR PRIMARY KEY,
    record VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE slices (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    slicer VARCHAR NOT NULL,
    score DOUBLE,
    bucket VARCHAR,
    inputs_hash VARCHAR NOT NULL,
    PRIMARY KEY (dataset_id, example_id, slicer)
);
CREATE TABLE pinned (
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset_id, example_id)
);
CREATE TABLE verdicts (
    verdict_id VARCHAR PRIMARY KEY,
    dataset_id VARCHAR NOT NULL,
    example_id VARCHAR NOT NULL,
    reviewer VARCHAR NOT NULL,
    verdict VARCHAR NOT NULL,
    label VARCHAR,
    note VARCHAR,
    created_at TIMESTAMP NOT NULL
);
