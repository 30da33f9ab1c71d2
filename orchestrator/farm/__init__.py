"""Several hosts, one farm: the hosts that share a PostgreSQL database.

Each host holds its name with a lease (`keep_lease`), writes where its phones are, and
runs the tasks of the phones it sees; it hears of the others' work, stops and deletes
through the database's notifications (`listen_to_hosts`, `relay_news`), not by polling.
A host whose lease runs out is taken for dead by the others: its running tasks fail,
naming it, and are retried when their phones are back on any host.
"""

from ._lease import BEAT, LEASE, keep_lease
from ._news import CAUGHT_UP, listen_to_hosts, relay_news

__all__ = ["BEAT", "CAUGHT_UP", "LEASE", "keep_lease", "listen_to_hosts", "relay_news"]
