"""What docs/operations.md tells an operator to deploy is what the tests run."""
from __future__ import annotations

import re

from .deploy import NGINX_SITE
from .servers import REPO


def test_the_nginx_site_in_the_docs_is_the_shipped_file():
    docs = (REPO / "docs" / "operations.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", docs, flags=re.S)
    assert NGINX_SITE.read_text() in blocks, "docs/operations.md shows deploy/nginx-parsurvey.conf as it is"


def test_the_nginx_site_masks_links_and_card_codes_and_logs_no_referer():
    site = NGINX_SITE.read_text()
    log_format = re.search(r"log_format parsurvey (.*?);", site, flags=re.S).group(1)
    assert "$parsurvey_logged_uri" in log_format and "$request_uri" not in log_format
    assert "$request" not in log_format.replace("$request_method", "").replace("$request_time", "")
    assert "$http_referer" not in log_format and "$args" not in log_format
    assert site.count("access_log /var/log/nginx/parsurvey.access.log parsurvey;") == 2, "in every server block"
    mapping = re.search(r"map \$request_uri \$parsurvey_logged_uri \{(.*?)\}", site, flags=re.S).group(1)
    patterns = re.findall(r'"~(\^[^"]+)"\s+"([^"]+)"', mapping)
    samples = {"/s/AbC123-bi-mat/p/2": "/s/***/p/2", "/s/AbC123-bi-mat": "/s/***", "/ma?ma=ABCD-EFGH": "/ma?***"}
    for uri, expected in samples.items():
        for pattern, replacement in patterns:
            found = re.match(pattern.replace("(?<parsurvey_rest>", "(?P<rest>"), uri)
            if found:
                assert replacement.replace("$parsurvey_rest", found.groupdict().get("rest") or "") == expected, uri
                break
        else:
            raise AssertionError(f"{uri} is logged as it is")
