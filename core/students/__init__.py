"""Students: scikit-learn classifiers that learn from hard or soft labels, registered by kind."""
from core.students.models import STUDENTS, SoftLabelLogisticRegression, Student, make_student

__all__ = ["STUDENTS", "SoftLabelLogisticRegression", "Student", "make_student"]
