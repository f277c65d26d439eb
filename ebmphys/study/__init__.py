"""Studies: TOML specs, sweep expansion, executors, the runner and result collection.

Names are imported on first use.
"""

from ebmphys._lazy import lazy

__all__ = [
    "Job", "JobResult", "Key", "RunError", "STUDY_SCHEMA", "SpecError", "StudySpec", "Task", "did_you_mean",
    "expand", "load_study", "parse_study", "run_job", "run_study", "validate",
]

__getattr__, __dir__ = lazy(__name__, {
    "Job": "ebmphys.study.tasks",
    "JobResult": "ebmphys.study.tasks",
    "Key": "ebmphys.study.spec",
    "RunError": "ebmphys.study.runner",
    "STUDY_SCHEMA": "ebmphys.study.spec",
    "SpecError": "ebmphys.study.spec",
    "StudySpec": "ebmphys.study.spec",
    "Task": "ebmphys.study.tasks",
    "did_you_mean": "ebmphys.study.spec",
    "expand": "ebmphys.study.tasks",
    "load_study": "ebmphys.study.spec",
    "parse_study": "ebmphys.study.spec",
    "run_job": "ebmphys.study.tasks",
    "run_study": "ebmphys.study.runner",
    "validate": "ebmphys.study.spec",
})
