"""The scheduler: sweeps that raise tasks, expire contracts and deliver email, woken by APScheduler.

Run it as its own process (``flask scheduler``); web workers never start one. Every sweep goes through the
same services and engine door as the web app, and is safe to run twice or in two processes at once.
"""
