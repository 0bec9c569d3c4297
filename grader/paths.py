"""Where the project's own folders are."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_DIR / "reference"
ASSIGNMENT_DIR = PROJECT_DIR / "assignment"
REPORTS_DIR = PROJECT_DIR / "reports"
RUBRIC_FILE = Path(__file__).resolve().parent / "rubric.toml"
HARNESS_DIR = Path(__file__).resolve().parent / "harness"
