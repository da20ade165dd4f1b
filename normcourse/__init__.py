"""normcourse: parameter norm penalties, proximal operators and solvers for the course."""

__version__ = "0.1.0"
