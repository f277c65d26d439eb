"""Studies: TOML specs, sweep expansion, executors, the runner and result collection."""

from ebmphys.study.runner import RunError, run_study
from ebmphys.study.spec import STUDY_SCHEMA, Key, SpecError, StudySpec, did_you_mean, load_study, parse_study, validate
from ebmphys.study.tasks import Job, JobResult, Task, expand, run_job

__all__ = [
    "Job", "JobResult", "Key", "RunError", "STUDY_SCHEMA", "SpecError", "StudySpec", "Task", "did_you_mean",
    "expand", "load_study", "parse_study", "run_job", "run_study", "validate",
]
