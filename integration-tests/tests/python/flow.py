"""The vendor's own Python client (carbon3d-client 0.4.17) against carbon-sim.

Usage: python flow.py BASE_URL TOKEN. Exits non-zero on the first difference.
"""
import datetime
import os
import sys
import tempfile
import time

import carbon3d

base, token = sys.argv[1], sys.argv[2]
config = carbon3d.Configuration(host=base)
config.access_token = token
client = carbon3d.ApiClient(config)

printers = carbon3d.PrintersApi(client).get_printers(limit=10, offset=0)
assert printers.total_count == 3, printers

printed = carbon3d.PrintedPartsApi(client)
page = printed.get_printed_parts(limit=10)
count = len(page.parts)
while page.next_cursor:
    page = printed.get_printed_parts(limit=10, cursor=page.next_cursor)
    count += len(page.parts)
assert count == 30, count

path = os.path.join(tempfile.mkdtemp(), "cube.stl")
with open(path, "wb") as f:
    f.write(b"solid cube\nendsolid cube\n")
model = carbon3d.ModelsApi(client).upload_model(filename="cube.stl", body=path)
assert model.filename == "cube.stl", model

part = carbon3d.PartsApi(client).create_part(
    part_request=carbon3d.PartRequest(part_number="PN-PY", model_uuid=model.uuid))
orders = carbon3d.PartOrdersApi(client)
order = orders.create_part_order(part_order_request=carbon3d.PartOrderRequest(
    part_order_number="PY-1",
    due_date=datetime.datetime.utcnow(),  # naive, as the vendor's examples send it
    parts=[carbon3d.PartOrderRequestParts(uuid=part.uuid)],
    flush=True))
for _ in range(100):
    order = orders.get_part_order(order.uuid)
    if order.status == "complete":
        break
    time.sleep(0.05)
assert order.status == "complete", order.status

build = carbon3d.BuildsApi(client).get_build(order.build_uuids[0])
assert "traveler.pdf" in [a.filename for a in build.attachments], build
queues = carbon3d.QueuesApi(client).get_printer_queues()
assert len(queues.printer_queues) == 3, queues
run = carbon3d.ModelProgramRunsApi(client).create_model_program_run(
    model_program_run_request=carbon3d.ModelProgramRunRequest(
        model_program_uuid="prog", parameters={"~MODEL_UUID~": model.uuid}))
assert run.status == "pending", run
print("python client flow ok")
