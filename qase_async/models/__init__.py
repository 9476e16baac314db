"""Public models: attrs classes, decoded and encoded by the client's one converter."""

from .cases import ExternalIssue, TestCase, TestCaseCreate, TestStep, TestStepCreate
from .common import Attachment, Created, CustomFieldValue, ProjectCode, TagValue
from .projects import DefectCounts, Project, ProjectCounts, ProjectCreate, RunCounts
from .results import (
    RelationSuite,
    RelationSuiteItem,
    Result,
    ResultCase,
    ResultCreate,
    ResultCreateV2,
    ResultExecution,
    ResultRelations,
    ResultStep,
    ResultStepData,
    ResultStepExecution,
    TestStepResult,
    TestStepResultCreate,
)
from .runs import Run, RunCreate, RunEnvironment, RunMilestone, RunStats
from .suites import Suite, SuiteCreate

__all__ = [
    "Attachment",
    "Created",
    "CustomFieldValue",
    "DefectCounts",
    "ExternalIssue",
    "Project",
    "ProjectCode",
    "ProjectCounts",
    "ProjectCreate",
    "RelationSuite",
    "RelationSuiteItem",
    "Result",
    "ResultCase",
    "ResultCreate",
    "ResultCreateV2",
    "ResultExecution",
    "ResultRelations",
    "ResultStep",
    "ResultStepData",
    "ResultStepExecution",
    "Run",
    "RunCounts",
    "RunCreate",
    "RunEnvironment",
    "RunMilestone",
    "RunStats",
    "Suite",
    "SuiteCreate",
    "TagValue",
    "TestCase",
    "TestCaseCreate",
    "TestStep",
    "TestStepCreate",
    "TestStepResult",
    "TestStepResultCreate",
]
