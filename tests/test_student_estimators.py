import numpy as np
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.students.models import SoftLabelLogisticRegression


# No check is waived. check_array_api_input skips itself unless SCIPY_ARRAY_API=1 is set before scipy is
# imported; it passes when that is set.
@parametrize_with_checks([SoftLabelLogisticRegression()])
def test_soft_label_logistic_regression_is_a_valid_sklearn_estimator(estimator, check):
    check(estimator)


def test_one_hot_soft_labels_predict_like_hard_labels():
    X, y_index = make_classification(n_samples=300, n_features=20, n_informative=8, n_classes=3, random_state=0)
    X = sparse.csr_matrix(X)
    # "absent" is never a label, as when a small training sample misses a class
    classes = ["billing", "shipping", "refund", "absent"]
    y = np.array(classes)[y_index]
    one_hot = (y[:, None] == np.array(classes)[None, :]).astype(float)

    hard = SoftLabelLogisticRegression(classes=classes).fit(X, y)
    soft = SoftLabelLogisticRegression(classes=classes).fit(X, one_hot)

    np.testing.assert_array_equal(soft.predict(X), hard.predict(X))
    np.testing.assert_allclose(soft.predict_proba(X), hard.predict_proba(X), atol=1e-6)
    assert (soft.predict_proba(X)[:, classes.index("absent")] == 0).all()
