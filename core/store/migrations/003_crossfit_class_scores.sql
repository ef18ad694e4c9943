-- version 3: cross-fitted evaluation (every fit and prediction knows its repeat and fold), solver convergence
-- per fit, teacher scores over all gold rows, per-class recall and precision, run warnings
CREATE TABLE fits_v3 (
    run_id VARCHAR NOT NULL,
    trained_on VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    repeat INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL,
    macro_f1 DOUBLE NOT NULL,
    n_iter INTEGER NOT NULL,
    converged BOOLEAN NOT NULL,
    seconds DOUBLE NOT NULL,
    PRIMARY KEY (run_id, trained_on, label_mode, size, seed, repeat, fold)
);
INSERT INTO fits_v3 SELECT run_id, trained_on, label_mode, size, seed, 0, 0, n_train, n_test, accuracy, macro_f1,
    0, TRUE, seconds FROM fits;
DROP TABLE fits;
ALTER TABLE fits_v3 RENAME TO fits;
ALTER TABLE predictions ADD COLUMN repeat INTEGER DEFAULT 0;
ALTER TABLE predictions ADD COLUMN fold INTEGER DEFAULT 0;
ALTER TABLE teacher_scores ADD COLUMN n_all_gold INTEGER;
ALTER TABLE teacher_scores ADD COLUMN n_invalid INTEGER;
ALTER TABLE teacher_scores ADD COLUMN n_abstained INTEGER;
ALTER TABLE teacher_scores ADD COLUMN all_gold_accuracy DOUBLE;
ALTER TABLE teacher_scores ADD COLUMN all_gold_accuracy_lo DOUBLE;
ALTER TABLE teacher_scores ADD COLUMN all_gold_accuracy_hi DOUBLE;
ALTER TABLE curve_points ADD COLUMN n_folds INTEGER DEFAULT 1;
ALTER TABLE curve_points ADD COLUMN n_unconverged INTEGER DEFAULT 0;
ALTER TABLE comparisons ADD COLUMN reference_size INTEGER;
CREATE TABLE class_scores (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,  -- whose labels: the teacher itself, or the students compared for it
    label_mode VARCHAR NOT NULL,
    who VARCHAR NOT NULL,           -- 'teacher', 'student' (trained on its labels) or 'gold_student'
    label VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,        -- 'recall' or 'precision'
    value DOUBLE,
    lo DOUBLE,
    hi DOUBLE,
    n INTEGER NOT NULL,
    PRIMARY KEY (run_id, teacher_name, label_mode, who, label, metric)
);
CREATE TABLE class_differences (  -- recall of the teacher-trained student minus the gold-trained student's
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    label_mode VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    diff DOUBLE,
    lo DOUBLE,
    hi DOUBLE,
    PRIMARY KEY (run_id, teacher_name, label_mode, label)
);
ALTER TABLE runs ADD COLUMN warnings VARCHAR;
