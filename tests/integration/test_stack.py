"""The process stack of tests, the demo and the bench: its servers never share a port unnoticed."""

import socket
import sys
import time

import pytest

from sandbox.redis_server import free_ports
from sandbox.stack import Stack


def test_free_ports_are_distinct_even_when_many_are_asked_at_once():
    ports = free_ports(64)
    assert len(set(ports)) == 64


def test_a_server_that_lost_its_port_stops_the_stack_from_starting(tmp_path):
    (port,) = free_ports(1)
    with socket.socket() as taken:  # another process's server already listens there
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with Stack.create({}, tmp_path) as stack:
            child = stack.spawn("sheets", [sys.executable, "-m", "sandbox", "sheets", "--port", str(port)])
            deadline = time.monotonic() + 30
            while child.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            with pytest.raises(RuntimeError, match="sheets exited"):
                stack.check_alive()
