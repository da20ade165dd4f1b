"""Root pytest configuration: notebooks written as Jupytext MyST are validated by nbval.

BLAS runs single-threaded in the test process and in every notebook kernel it starts (they
inherit the environment): on a 2-core machine running tests in parallel with other work,
threaded OpenBLAS makes the small solves of the notebooks tens of times slower.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

pytest_plugins = ["normcourse.nbtest"]


def pytest_addoption(parser):
    parser.addoption("--fuzz-full", action="store_true", default=False,
                     help="tests/test_fuzz.py: run every mutation of every case")
