"""The socket plumbing below the apps: the socket base class, socket sign-in and the session
watch, the channel layer and hints, the sequence-number poll and the sockets' database calls.

Nothing here imports a domain app; the apps pass their rules in (signin.add_socket_rule)."""
