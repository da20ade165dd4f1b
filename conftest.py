"""Root pytest configuration: notebooks written as Jupytext MyST are validated by nbval."""

pytest_plugins = ["normcourse.nbtest"]
