"""A python grpcio client of polku.v1.Gateway, used by test/grpc/python-peer.test.ts.

Usage: client.py <stub dir> <port>. Calls StreamEvents, SendEvent and Health
against the server and prints one JSON document with what came back.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from polku.event.v1 import event_pb2  # noqa: E402
from polku.v1 import gateway_pb2, gateway_pb2_grpc  # noqa: E402

BIG = 1764216000123456789  # above 2^53
MAX = 9223372036854775807


def ack_json(ack):
    return {
        "event_ids": list(ack.event_ids),
        "errors": [{"event_id": e.event_id, "code": e.code, "message": e.message} for e in ack.errors],
        "buffer_capacity": ack.buffer_capacity,
    }


def batches():
    yield gateway_pb2.IngestBatch(
        source="py",
        cluster="py-cluster",
        events=gateway_pb2.EventPayload(
            events=[
                event_pb2.Event(
                    id="py-1",
                    timestamp_unix_ns=BIG,
                    source="py-src",
                    event_type="py.type",
                    metadata={"__proto__": "p", "constructor": "c", "k": "v"},
                    payload=b"\x00\x01binary\xff",
                    route_to=["memory"],
                    severity=event_pb2.SEVERITY_ERROR,
                    outcome=event_pb2.OUTCOME_TIMEOUT,
                ),
                event_pb2.Event(id="py-2", timestamp_unix_ns=MAX, event_type="empty", payload=b""),
            ]
        ),
    )
    yield gateway_pb2.IngestBatch(source="py", raw=gateway_pb2.RawPayload(format="ndjson", data=b'{"id":"py-3"}\n{"id":"py-4","timestamp_unix_ns":%d}\n' % MAX))
    yield gateway_pb2.IngestBatch(source="py", raw=gateway_pb2.RawPayload(format="xml", data=b"<e/>"))


def main():
    channel = grpc.insecure_channel("127.0.0.1:%s" % sys.argv[2])
    stub = gateway_pb2_grpc.GatewayStub(channel)
    out = {"stream": [ack_json(a) for a in stub.StreamEvents(batches(), timeout=10)]}
    out["send"] = ack_json(stub.SendEvent(gateway_pb2.IngestEvent(source="py", event=event_pb2.Event(id="py-5", event_type="t")), timeout=10))
    try:
        stub.SendEvent(gateway_pb2.IngestEvent(source="py"), timeout=10)
        out["invalid"] = "no error"
    except grpc.RpcError as e:
        out["invalid"] = {"code": e.code().name, "details": e.details()}
    health = stub.Health(gateway_pb2.HealthRequest(), timeout=10)
    out["health"] = {
        "healthy": health.healthy,
        "components": {k: {"healthy": v.healthy, "message": v.message} for k, v in health.components.items()},
        "events_processed": health.events_processed,
    }
    print(json.dumps(out))


main()
