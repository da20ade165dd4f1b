"""Red-team submissions are data for tests/test_grading_redteam.py, never tests themselves."""

collect_ignore_glob = ["*"]
