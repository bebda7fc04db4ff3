#pragma once

#include <string>

// Small POSIX socket helpers shared by the fake plugin, the silent sockets and the reference
// plugin. Internal to tests/support.
namespace volumecli::test::detail {

// Removes `path` if it is a socket (a stale one); throws if it is something else.
void remove_stale_socket(const std::string& path);
// socket+bind+listen on a unix socket; returns the fd (close-on-exec). Throws on failure.
int listen_unix(const std::string& path, int backlog = 128);
// Same on 127.0.0.1 with an ephemeral port, stored in `port`.
int listen_tcp(int& port, int backlog = 128);
// Same on 127.0.0.1:`port` (SO_REUSEADDR), for a server that comes back on its old address.
int listen_tcp_on(int port, int backlog = 128);
// A socket bound to 127.0.0.1:`port` (SO_REUSEADDR) that does not listen: connections to the port
// are refused while it keeps the port from being handed to anyone else's outgoing connection, and
// listen_tcp_on(port) may bind beside it. -1 when the port cannot be bound.
int hold_tcp_port(int port);
// Writes everything; false when the peer went away.
bool send_all(int fd, const std::string& data);
// Closes `fd` abortively: SO_LINGER 0 makes a TCP peer see a reset (ECONNRESET), not an EOF.
void reset_and_close(int fd);
// True when something accepts connect() on the unix socket right now.
bool unix_socket_answers(const std::string& path);

}  // namespace volumecli::test::detail
