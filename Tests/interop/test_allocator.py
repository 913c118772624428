"""The server runs on jemalloc (linked into c360, see Sources/c360/Allocator.swift): a link order
that put glibc's malloc first would build and pass every other test while losing the allocator's
measured gain, so the process itself is asked."""


def test_server_allocates_through_jemalloc(server):
    with open(f"/proc/{server.process.pid}/maps") as maps:
        assert "libjemalloc.so" in maps.read(), "libjemalloc is not mapped into c360 serve"
    with open(server.log) as log:
        lines = [line for line in log if "memory allocator" in line]
    assert lines, "c360 serve logged no memory allocator line"
    # The version is logged only when the server thread's own allocations went through jemalloc.
    assert "jemalloc=5." in lines[-1], lines[-1]
