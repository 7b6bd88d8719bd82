"""Cold start of the naive handler, the ListTasks doc's Python sample made a function: import
everything of ``huaweicloudsdksms.v3``, build ``SmsClient``, ``list_tasks``, ``to_dict``, JSON.

Prints ``<ms from the first line to the response> <status> <tasks>``."""
import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdksms.v3 import *  # noqa: E402, F403


def handler(event, context):
    # BasicCredentials with a project id and an endpoint: the sample's GlobalCredentials + region
    # would ask IAM for a domain id, which loopback has no answer for.
    credentials = BasicCredentials(os.environ["HUAWEICLOUD_SDK_AK"], os.environ["HUAWEICLOUD_SDK_SK"],
                                   os.environ["SMS_PROJECT_ID"])
    client = SmsClient.new_builder().with_credentials(credentials) \
        .with_endpoints([os.environ["SMS_ENDPOINT"]]).build()  # noqa: F405
    limit = int(event["queryStringParameters"]["limit"])
    response = client.list_tasks(ListTasksRequest(limit=limit))  # noqa: F405
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(response.to_dict()), "isBase64Encoded": False}


EVENT = {"httpMethod": "GET", "path": "/v3/tasks", "queryStringParameters": {"limit": sys.argv[1]}}
out = handler(EVENT, None)
elapsed_ms = (time.perf_counter() - T0) * 1000.0
print(f"{elapsed_ms:.3f} {out['statusCode']} {len(json.loads(out['body']).get('tasks', []))}")
