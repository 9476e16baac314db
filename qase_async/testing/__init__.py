"""A faithful, in-memory fake of the Qase TestOps API for tests.

Use it in-process, with no socket::

    from qase_async import QaseClient
    from qase_async.testing import FakeQase

    fake = FakeQase()
    async with QaseClient(token="test-token", transport=fake.transport()) as client:
        ...
    assert fake.stats.results_stored == 3

or over real HTTP (needs ``pip install 'qase-async[testing]'``)::

    async with fake.serve(port=0) as origin:   # e.g. http://127.0.0.1:51234
        ...                                     # the API is at origin + "/v1", "/v2"

or over HTTPS with a throwaway CA (``fake.serve(tls=True)``; trust ``fake.tls.ca_bundle``),
or from the command line: ``qase-async fake-server --port 8080`` (``--tls`` for HTTPS).

With pytest, the ``qase_fake`` and ``qase_client`` fixtures are registered automatically.
"""

from ._config import MB, DroppedConnection, FakeStats, Faults, RequestRecord, ScriptedFault
from ._fake import FakeQase, FakeRequest, FakeResponse
from ._state import FakeState
from ._tls import FakeTLS

__all__ = [
    "MB",
    "DroppedConnection",
    "FakeQase",
    "FakeRequest",
    "FakeResponse",
    "FakeState",
    "FakeStats",
    "FakeTLS",
    "Faults",
    "RequestRecord",
    "ScriptedFault",
]
