"""``perfxl serve``: the web page for people who never open a terminal.

Layers, top-down: :mod:`.server` (the command's start-up: host, token, uvicorn, the browser),
:mod:`.app` (the Starlette routes and the page), :mod:`.jobs` (uploads, each batch in its own
temporary folder, limits, expiry), :mod:`.engine` (the same worker pool setup and the same
``fill_path`` as ``perfxl fill``). Only :mod:`.app` and :mod:`.server` import Starlette or uvicorn:
worker processes import :mod:`.engine` alone.
"""
