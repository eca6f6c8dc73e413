"""The test server's random password is one the Neo4j admin tool accepts as a value."""

from __future__ import annotations

from neo4j_server import server


def test_a_fresh_password_never_looks_like_a_command_line_option() -> None:
    # the admin tool (picocli) reads a leading '-' as an option and then misses its <password>;
    # 2,000 draws of a URL-safe token would start with '-' about 31 times
    drawn = {server._new_password() for _ in range(2000)}
    assert len(drawn) == 2000
    assert not any(p.startswith("-") for p in drawn)
    assert all(len(p) >= 16 for p in drawn)
