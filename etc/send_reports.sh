#!/bin/sh
# send_reports.sh - the script the old crontab lines and Task Scheduler
# jobs called, run every minute:
#
#   * * * * *  /usr/bin/send_reports.sh
#
# It used to run the Django command `manage.py send_scheduled_reports`.
# Now it runs the same name, which is sendreports' drop-in for it: the due
# reports are sent and delivered (sendreports tick); --dry-run lists them;
# Django's options (--settings, -v ...) are accepted and ignored.
exec /usr/bin/send_scheduled_reports -c /etc/sendreports.ini "$@"
