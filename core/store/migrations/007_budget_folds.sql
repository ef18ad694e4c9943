-- version 7: budget curves are measured in every fold and repeat of a run's stored plan. budget_fold_scores keeps
-- each fold's student accuracy per strategy and budget (the numbers every summary and cost option is computed
-- from); budget_curves is their summary (accuracy and its change against no checks, with intervals, the strategy
-- against random on the same folds, checks to half the gap); budget_left_out says why a strategy was not measured.
-- Curves stored before (one fold) are dropped: `python -m core budget` computes them again.
DROP TABLE budget_curves;
CREATE TABLE budget_fold_scores (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    strategy VARCHAR NOT NULL,
    budget INTEGER NOT NULL,
    repeat INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    n_checks INTEGER NOT NULL,  -- checks actually made (<= budget)
    n_pool INTEGER NOT NULL,  -- the fold's training rows (teacher labels used)
    n_test INTEGER NOT NULL,  -- the fold's held-out gold rows scored
    accuracy DOUBLE NOT NULL,  -- mean over seeds on the held-out rows
    gold_accuracy DOUBLE NOT NULL,  -- the student trained on the pool's gold labels, same fold
    PRIMARY KEY (run_id, teacher_name, strategy, budget, repeat, fold)
);
CREATE TABLE budget_curves (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    strategy VARCHAR NOT NULL,
    budget INTEGER NOT NULL,
    same_curve VARCHAR NOT NULL,  -- the strategies with the same per-fold accuracies, "a = b"
    scheme VARCHAR NOT NULL,
    n_folds INTEGER NOT NULL,
    repeats INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    n_seeds INTEGER NOT NULL,
    n_checks INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL,
    accuracy_lo DOUBLE,
    accuracy_hi DOUBLE,
    change DOUBLE NOT NULL,
    change_lo DOUBLE,
    change_hi DOUBLE,
    vs_random DOUBLE,
    vs_random_lo DOUBLE,
    vs_random_hi DOUBLE,
    gold_accuracy DOUBLE NOT NULL,
    gold_accuracy_lo DOUBLE,
    gold_accuracy_hi DOUBLE,
    half_gap DOUBLE,
    half_gap_lo DOUBLE,
    half_gap_hi DOUBLE,
    half_gap_folds INTEGER NOT NULL,  -- the folds whose curve closes half the gap within the budgets
    label_error DOUBLE,
    precision DOUBLE,
    PRIMARY KEY (run_id, teacher_name, strategy, budget)
);
CREATE TABLE budget_left_out (
    run_id VARCHAR NOT NULL,
    teacher_name VARCHAR NOT NULL,
    strategy VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    PRIMARY KEY (run_id, teacher_name, strategy)
);
