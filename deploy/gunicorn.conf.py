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
# A worker is replaced after this many requests (a safety net against slow memory growth;
# Sala has no known leak). Booting one costs 0.8-1.6 s of CPU (measured: bench/RESULTS.md),
# so 5000 added 0.16-0.32 ms of CPU to every request, as much as a cached page costs; at
# 100000 it is 0.01-0.02 ms, and a busy worker (~200 requests/s) is still renewed every
# few minutes. 0 would never renew one.
max_requests = 100000
max_requests_jitter = 10000
# Access logs would hold IP addresses and token URLs; keep them off unless needed.
accesslog = None
# If access logs are turned on: no client address, and no path or query (they carry the
# tokens of personal links), only the time, method, status, size and duration.
access_log_format = '%(t)s "%(m)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
