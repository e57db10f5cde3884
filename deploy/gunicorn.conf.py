"""Recommended gunicorn settings for Sala. Requests are short (mail goes through the
outbox), so a few sync workers with threads serve a large session well."""

import multiprocessing
import os

bind = "127.0.0.1:8000"
# WEB_CONCURRENCY (the usual name) chooses the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(multiprocessing.cpu_count() * 2 + 1, 9))
threads = 4
worker_class = "gthread"
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# Access logs would hold IP addresses and token URLs; keep them off unless needed.
accesslog = None
# If access logs are turned on: no client address, and no path or query (they carry the
# tokens of personal links), only the time, method, status, size and duration.
access_log_format = '%(t)s "%(m)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
