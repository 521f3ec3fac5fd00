"""Open WebUI's own conversion of an OpenAPI document into the functions its model is offered.

usage: convert_openapi.py < openapi.json   (with Open WebUI's venv python)

Prints the JSON list of function specs ({name, description, parameters}) exactly as
`get_tool_servers_data` and `get_tools` of the installed open-webui build them for a tool server.
Importing Open WebUI boots its configuration (database migrations, static files): the caller
gives it a throwaway DATA_DIR and STATIC_DIR and a WEBUI_SECRET_KEY.
"""

import contextlib
import json
import os
import sys

# As `open-webui serve` sets it: the installed package's layout, not a source checkout's.
os.environ["FROM_INIT_PY"] = "true"
# The import prints migration progress (and configures logging) on stdout, which is the result's.
with contextlib.redirect_stdout(sys.stderr):
    from open_webui.utils.tools import (
        add_terminal_display_file_inline_param,
        clean_openai_tool_schema,
        convert_openapi_to_tool_payload,
    )

document = json.load(sys.stdin)
specs = [
    clean_openai_tool_schema(add_terminal_display_file_inline_param(spec))
    for spec in convert_openapi_to_tool_payload(document)
]
json.dump(specs, sys.stdout)
