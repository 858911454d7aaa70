@echo off
rem send_reports.bat - what Task Scheduler runs every minute, as it ran the
rem old send_scheduled_reports: one tick of sendreports (send what is due,
rem then deliver the queue).  sendreports.exe and sendreports.ini sit beside
rem this file; the exit code is sendreports's (0: done or nothing to do,
rem 75: try again later, 78: configuration).
"%~dp0sendreports.exe" -c "%~dp0sendreports.ini" tick
exit /b %ERRORLEVEL%
