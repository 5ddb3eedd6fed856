@echo off
rem perfxl launcher: drag self-evaluation forms (.xlsx/.xlsm/.xls) or folders onto this file.
rem It runs "perfxl fill" on them (results beside each form), shows the results and waits for Enter.
rem Needs Python 3.10+ with perfxl installed (see README, Windows). The dropped paths are passed on
rem outside any bracketed block, so that paths with spaces, Chinese text and brackets arrive whole.
setlocal
where py >nul 2>nul
if errorlevel 1 goto nopy
py -3 -m perfxl.cli.drop %*
goto done
:nopy
python -m perfxl.cli.drop %*
if errorlevel 9009 pause
:done
endlocal
