"""newsdedup feeds: Atom rendering and the HTTP server. Reads storage, never writes it."""
