"""A python grpcio polku.v1.Gateway server, used by test/grpc/python-peer.test.ts.

Usage: server.py <stub dir>. Binds 127.0.0.1:0, prints "PORT <n>", then one
JSON line per event received. Events whose event_type is "refuse" are answered
with an AckError (code REFUSED); the others are acked. Stops on stdin EOF.
"""
import json
import sys
import threading
from concurrent import futures

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from polku.v1 import gateway_pb2, gateway_pb2_grpc  # noqa: E402

lock = threading.Lock()


def report(event):
    line = json.dumps({
        "id": event.id,
        "timestamp_unix_ns": str(event.timestamp_unix_ns),
        "source": event.source,
        "event_type": event.event_type,
        "metadata": dict(event.metadata),
        "payload_hex": event.payload.hex(),
        "route_to": list(event.route_to),
        "severity": event.severity,
        "outcome": event.outcome,
    })
    with lock:
        print(line, flush=True)


class Gateway(gateway_pb2_grpc.GatewayServicer):
    def StreamEvents(self, request_iterator, context):
        for batch in request_iterator:
            ack = gateway_pb2.Ack(buffer_capacity=1)
            for event in batch.events.events:
                report(event)
                if event.event_type == "refuse":
                    ack.errors.add(event_id=event.id, code="REFUSED", message="python peer refuses")
                else:
                    ack.event_ids.append(event.id)
            yield ack

    def SendEvent(self, request, context):
        report(request.event)
        return gateway_pb2.Ack(event_ids=[request.event.id])

    def Health(self, request, context):
        return gateway_pb2.HealthResponse(healthy=True, components={"python": gateway_pb2.ComponentHealth(healthy=True, message="ok")})


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    gateway_pb2_grpc.add_GatewayServicer_to_server(Gateway(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    sys.stdin.read()
    server.stop(0)


main()
