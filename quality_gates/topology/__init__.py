"""How a target is reached: directly, or behind a reverse proxy, as it is deployed.

``nginx`` runs a throw-away nginx in front of one server (config, logs and temp files in a
directory of its own); ``clients`` spreads clients over distinct loopback source addresses.
Nothing here knows the target: the proxy forwards to a port, the clients bind an address.
"""
