#!/usr/bin/python3
"""Expected values for tests/unit/test_classify.c, from scikit-learn 1.2.1
and numpy 1.24 (Debian's /usr/bin/python3):

  /usr/bin/python3 bench/classify_golden.py

prints the C initializers pasted into the test: decision values of
LogisticRegression(solver="liblinear", tol=1e-10) on two small problems,
StratifiedKFold(3) test folds, and numpy.percentile values.
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

# Three classes in 2-D, overlapping a little.
X3 = np.array([[0.0, 0.1], [0.3, -0.2], [-0.4, 0.2], [0.5, 0.6], [1.8, 2.1],
               [2.2, 1.7], [2.6, 2.4], [1.0, 1.2], [-2.0, 2.2], [-1.6, 1.8],
               [-2.4, 2.6], [-0.9, 1.1], [0.2, 0.0], [2.0, 2.0], [-2.0, 2.0]])
y3 = np.array([0, 0, 0, 0, 1, 1, 1, 1, 7, 7, 7, 7, 0, 1, 7])
# Two classes, labels -1 and +1, one feature zero in some rows.
X2 = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.5], [2.0, 2.0, 0.0],
               [3.0, 0.5, 0.0], [0.5, 3.0, 1.0], [2.5, 2.5, 2.5],
               [0.0, 0.0, 3.0], [3.5, 1.0, 0.5]])
y2 = np.array([-1, -1, 1, 1, -1, 1, -1, 1])
Q = np.array([[0.0, 0.0], [2.0, 2.0], [-2.0, 2.0], [1.0, 1.0], [-1.0, 1.0]])
Q2 = np.array([[1.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.0, 2.0, 2.0]])


def c_array(name, a):
    flat = ", ".join(repr(float(v)) for v in np.ravel(a))
    print("static const double %s[%d] = {%s};" % (name, np.size(a), flat))


for C in (1.0, 0.1):
    lr = LogisticRegression(solver="liblinear", tol=1e-10, C=C).fit(X3, y3)
    c_array("dec3_C%s" % str(C).replace(".", "_"), lr.decision_function(Q))
lr = LogisticRegression(solver="liblinear", tol=1e-10).fit(X2, y2)
c_array("dec2", lr.decision_function(Q2))
print("/* predict: %s %s */" % (list(LogisticRegression(solver="liblinear").fit(X3, y3).predict(Q)),
                               list(lr.predict(Q2))))

yf = np.array([3, 1, 1, 3, 2, 2, 1, 3, 3, 1, 2, 1, 1, 3, 2, 1, 1, 3, 2, 2, 5, 5])
folds = np.empty(len(yf), dtype=int)
for f, (_, test) in enumerate(StratifiedKFold(3).split(np.zeros(len(yf)), yf)):
    folds[test] = f
print("static const int32_t fold_y[%d] = {%s};" % (len(yf), ", ".join(map(str, yf))))
print("static const int fold_expected[%d] = {%s};" % (len(yf), ", ".join(map(str, folds))))

v = np.array([3.5, 1.25, 9.0, 4.0, 4.0, 0.5, 7.75])
for p in (0, 10, 20, 33.3, 50, 80, 99.9, 100):
    print("/* percentile %g */ %r," % (p, float(np.percentile(v, p))))
