"""Memory checks before allocating: small requests pass without asking the system, large ones are checked."""

import pytest

from ebmphys import limits
from ebmphys.exceptions import ResourceError


def test_small_requests_do_not_read_the_system(monkeypatch):
    monkeypatch.delenv(limits.MEMORY_LIMIT_ENV, raising=False)

    def unreachable():
        raise AssertionError("memory_limit was consulted for a small request")

    monkeypatch.setattr(limits, "memory_limit", unreachable)
    limits.require_memory(limits.SMALL_REQUEST, "a small run")
    with pytest.raises(AssertionError, match="consulted"):
        limits.require_memory(limits.SMALL_REQUEST + 1, "a larger run")


def test_the_environment_limit_applies_to_every_request(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_LIMIT_ENV, "1M")
    with pytest.raises(ResourceError, match="a run needs about 2 MiB of memory, more than the 1 MiB allowed by EBMPHYS_MEMORY_LIMIT"):
        limits.require_memory(2 * 2**20, "a run")


def test_impossible_requests_are_refused_without_the_environment(monkeypatch):
    monkeypatch.delenv(limits.MEMORY_LIMIT_ENV, raising=False)
    with pytest.raises(ResourceError, match="a run needs about 8 EiB of memory, more than the .* available"):
        limits.require_memory(8 * 2**60, "a run")
