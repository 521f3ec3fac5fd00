"""A scripted OpenAI-compatible model for the Open WebUI end-to-end tests.

usage: fake_model.py   (binds 127.0.0.1:0 and prints "Serving http://127.0.0.1:PORT")

The last user message is the script: "call <function name> <JSON arguments>". When the request
offers a function of exactly that name, the model answers with a call of it; once a tool result
follows in the messages, it answers "tool result: <content>" for each. When the function is not
offered it says so, listing what was offered. Streaming and non-streaming, as asked.

GET /requests returns every /v1/chat/completions body received, in order, for the assertions.
"""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "fake-model"

received = []
received_lock = threading.Lock()


def reply_for(body):
    """(text, tool_call) the model answers with: exactly one of them is not None."""
    messages = body.get("messages") or []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    results = [m for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    if results:
        return " ".join(f"tool result: {content_text(m.get('content'))}" for m in results), None
    script = content_text(messages[last_user].get("content")) if last_user >= 0 else ""
    parts = script.split(" ", 2)
    if len(parts) < 2 or parts[0] != "call":
        return "nothing to do", None
    name = parts[1]
    arguments = parts[2] if len(parts) == 3 else "{}"
    offered = [t.get("function", {}).get("name") for t in body.get("tools") or []]
    if name not in offered:
        return f"not offered: {name}; offered: {json.dumps(offered)}", None
    return None, {
        "id": f"call_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def content_text(content):
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else json.dumps(content)


def completion(text, tool_call):
    message = {"role": "assistant", "content": text}
    if tool_call:
        message["tool_calls"] = [tool_call]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_call else "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def chunks(text, tool_call):
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
    }
    if tool_call:
        delta = {"role": "assistant", "tool_calls": [{"index": 0, **tool_call}]}
    else:
        delta = {"role": "assistant", "content": text}
    yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    finish = "tool_calls" if tool_call else "stop"
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            models = {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "owned_by": "tests"}]}
            self.send_json(models)
        elif self.path == "/requests":
            with received_lock:
                self.send_json(list(received))
        else:
            self.send_json({"error": "not found"}, 404)

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            return self.send_json({"error": "not found"}, 404)
        with received_lock:
            received.append(body)
        text, tool_call = reply_for(body)
        if not body.get("stream"):
            return self.send_json(completion(text, tool_call))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in chunks(text, tool_call):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def send_json(self, value, status=200):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write(format % args + "\n")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"Serving http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
