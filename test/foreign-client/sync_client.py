"""A TerminalSync client that is not ours: Python grpcio with stubs compiled by protoc from
protocols/sync/v1/sync.proto. It enrolls, pushes one event, and tries forged and replayed
requests; it prints what HQ answered as JSON. Usage: sync_client.py GENERATED_DIR < config.json
"""
import json
import sys
import time
import uuid

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
import sync_pb2  # noqa: E402
import sync_pb2_grpc  # noqa: E402


def refusal(error):
    trailing = dict(error.trailing_metadata() or ())
    return {"status": error.code().name, "onecard_code": trailing.get("onecard-code", ""), "message": error.details()}


def cash_sale_event(seq, store_id, product, now):
    sale_id = str(uuid.uuid4())
    price = product["priceMinor"]
    line = sync_pb2.SaleLine(line_no=1, sku=product["sku"], barcode=product["barcode"], name=product["name"],
                             quantity=1, unit_price=price, amount=price, eligible_for_member_benefits=True)
    tender = sync_pb2.Tender(kind="cash", amount=price, tendered=price, change=0)
    sale = sync_pb2.Sale(id=sale_id, store_id=store_id, currency="CNY", lines=[line], total=price,
                         tenders=[tender], points_earned=0, completed_at=now)
    transfer = sync_pb2.Transfer(id=str(uuid.uuid4()), kind="single", debit_account_id=f"store:{store_id}:cash",
                                 credit_account_id=f"store:{store_id}:sales", ledger="CNY", amount=price,
                                 code="SALE_CASH", timestamp=now, document_id=sale_id)
    return sync_pb2.Event(seq=seq, id=str(uuid.uuid4()), occurred_at=now, sale=sale, transfers=[transfer])


def push_summary(response):
    return {
        "acked_seq": response.acked_seq,
        "results": [{"seq": r.seq, "status": r.status, "reason": r.reason} for r in response.results],
        "gaps": [[g.from_seq, g.to_seq] for g in response.gaps],
    }


def main():
    config = json.load(sys.stdin)
    stub = sync_pb2_grpc.TerminalSyncStub(grpc.insecure_channel(config["hq"]))
    out = {}

    enrolled = stub.Enroll(sync_pb2.EnrollRequest(enrollment_code=config["code"], device_name="python-grpcio"))
    out["enrolled"] = {"terminal_id": enrolled.terminal_id, "store_id": enrolled.store_id}
    credential = [("authorization", "Bearer " + enrolled.credential)]

    try:
        stub.Enroll(sync_pb2.EnrollRequest(enrollment_code=config["code"], device_name="replay"))
        out["replayed_enrollment"] = {"status": "OK"}
    except grpc.RpcError as e:
        out["replayed_enrollment"] = refusal(e)

    now = int(time.time() * 1000)
    event = cash_sale_event(1, enrolled.store_id, config["product"], now)
    out["push"] = push_summary(stub.PushEvents(sync_pb2.PushEventsRequest(events=[event]), metadata=credential))
    out["replayed_push"] = push_summary(stub.PushEvents(sync_pb2.PushEventsRequest(events=[event]), metadata=credential))

    for name, metadata in (("forged_credential", [("authorization", "Bearer " + "A" * 43)]), ("no_credential", [])):
        try:
            stub.PushEvents(sync_pb2.PushEventsRequest(events=[cash_sale_event(2, enrolled.store_id, config["product"], now)]), metadata=metadata)
            out[name] = {"status": "OK"}
        except grpc.RpcError as e:
            out[name] = refusal(e)

    # A real credential sending a sale in the name of another store.
    forged_store = cash_sale_event(2, config["otherStoreId"], config["product"], now)
    out["other_store"] = push_summary(stub.PushEvents(sync_pb2.PushEventsRequest(events=[forged_store]), metadata=credential))

    print(json.dumps(out))


if __name__ == "__main__":
    main()
