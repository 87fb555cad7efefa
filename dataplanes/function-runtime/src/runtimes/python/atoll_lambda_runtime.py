# Atoll's Python runtime: a Lambda Runtime API client loop (standard library only), started by
# bootstrap.py and imported as a module so that its bytecode is cached (PYTHONPYCACHEPREFIX).
# It loads `module.handler` from the task root and the layers, calls the handler with the event and
# a context object with AWS's attributes, and posts the JSON result or an error document in the
# shape of AWS's Python runtime (errorMessage, errorType, requestId, stackTrace).
# It speaks HTTP/1.1 over one kept-alive socket itself (the C `_socket` module: http.client and
# even socket.py cost more to import than a whole invocation), and installs its logging handler
# only when the function imports `logging`, so that a cold start pays for neither.
import _socket
import os
import sys
import time

_env = os.environ
_task_root = _env.get("LAMBDA_TASK_ROOT") or os.getcwd()
_opt = _env.get("LAMBDA_OPT_DIR")
_py = "python%d.%d" % sys.version_info[:2]

# sys.path as in Lambda: the task root (in place of this runtime's directory), then the layers'
# python directories, then the interpreter's own.
_paths = [_task_root]
if _opt:
    _paths += [os.path.join(_opt, "python", "lib", _py, "site-packages"), os.path.join(_opt, "python")]
sys.path[0:1] = [p for p in _paths if p not in sys.path]

_host, _, _port = (_env.get("AWS_LAMBDA_RUNTIME_API") or "127.0.0.1:9001").partition(":")
_port = int(_port or 80)
_sock = None
_buf = bytearray()
_request_id = None
_stdout = sys.stdout


def _connect():
    global _sock
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
    sock.connect((_host, _port))
    _sock = sock
    del _buf[:]


def _fill():
    chunk = _sock.recv(65536)
    if not chunk:
        raise ConnectionError("Runtime API closed the connection")
    _buf.extend(chunk)


def _readline():
    while True:
        end = _buf.find(b"\n")
        if end >= 0:
            line = bytes(_buf[: end + 1])
            del _buf[: end + 1]
            return line
        _fill()


def _read(size):
    while len(_buf) < size:
        _fill()
    data = bytes(_buf[:size])
    del _buf[:size]
    return data


def _call(method, path, body=None, headers=None):
    """One request on the kept-alive connection; returns (status, headers, body bytes)."""
    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    else:
        data = body.encode("utf-8")
    head = "%s /2018-06-01/runtime%s HTTP/1.1\r\nHost: %s\r\n" % (method, path, _host)
    if method == "POST":
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    for name, value in (headers or {}).items():
        head += "%s: %s\r\n" % (name, value)
    payload = head.encode("latin-1") + b"\r\n" + data
    for attempt in (0, 1):
        if _sock is None:
            _connect()
        try:
            _sock.sendall(payload)
            line = _readline()
            break
        except OSError:
            _close()
            if attempt:
                raise
    status = int(line.split(b" ", 2)[1])
    response_headers = {}
    while True:
        line = _readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        response_headers[name.strip().lower()] = value.strip()
    if response_headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(_readline().split(b";")[0], 16)
            if size == 0:
                _readline()
                break
            chunks.append(_read(size))
            _readline()
        content = b"".join(chunks)
    else:
        content = _read(int(response_headers.get("content-length", "0")))
    if response_headers.get("connection", "").lower() == "close":
        _close()
    return status, response_headers, content


def _close():
    global _sock
    try:
        if _sock is not None:
            _sock.close()
    except OSError:
        pass
    _sock = None


# ---- Logging ----------------------------------------------------------------------------------
# print() goes to stdout as written (the platform makes each line a log event); records of the
# logging module are framed as AWS's Python runtime frames them, with newlines kept inside the
# record (written as `\r`, which the platform turns back into newlines).


def _write_record(text):
    _stdout.write(text.replace("\n", "\r") + "\n")
    _stdout.flush()


class _LoggingHook(object):
    """A meta path finder that installs the Lambda handler on the root logger when `logging` is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            _install_logging(module)

        loader.exec_module = exec_module
        return spec


def _install_logging(logging):
    class _LambdaHandler(logging.Handler):
        def emit(self, record):
            try:
                _write_record(self.format(record))
            except Exception:
                self.handleError(record)

    class _RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id or ""
            return True

    handler = _LambdaHandler()
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = _env.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


# ---- Context ----------------------------------------------------------------------------------


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __init__(self, data):
        self.installation_id = data.get("installation_id")
        self.app_title = data.get("app_title")
        self.app_version_name = data.get("app_version_name")
        self.app_version_code = data.get("app_version_code")
        self.app_package_name = data.get("app_package_name")


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __init__(self, data):
        self.custom = data.get("custom")
        self.env = data.get("env")
        client = data.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


class LambdaContext(object):
    def __init__(self, request_id, deadline_ms, invoked_arn, identity, client_context):
        self.aws_request_id = request_id
        self.log_group_name = _env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = _env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = _env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = _env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = _env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.invoked_function_arn = invoked_arn
        self.identity = CognitoIdentity(identity if isinstance(identity, dict) else {})
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        _stdout.write(str(msg))
        _stdout.flush()

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s])"
            % (
                self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
                self.client_context, self.identity,
            )
        )


# ---- Errors -----------------------------------------------------------------------------------


class FaultError(Exception):
    def __init__(self, error_type, message, trace=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def _user_frames(tb):
    """The traceback's frames outside this bootstrap, formatted as AWS's stackTrace entries."""
    import traceback

    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != here]
    return traceback.format_list(frames)


def _error_document(error, error_type=None, trace=None):
    if trace is None:
        trace = _user_frames(error.__traceback__)
    name = error_type or type(error).__name__
    message = getattr(error, "message", None) if isinstance(error, FaultError) else None
    return {
        "errorMessage": message if message is not None else str(error),
        "errorType": name,
        "requestId": _request_id or "",
        "stackTrace": trace,
    }


def _log_error(doc):
    lines = ["[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"]), "Traceback (most recent call last):"]
    for entry in doc["stackTrace"]:
        lines.extend(entry.splitlines() or [""])
    _write_record("\n".join(lines))


# ---- Handler loading ----------------------------------------------------------------------------


def _load_handler(spec):
    import importlib

    module_name, dot, function_name = spec.rpartition(".")
    if not dot or not module_name or not function_name:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec, [])
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise FaultError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, error), [])
    except SyntaxError as error:
        trace = ['  File "%s" Line %s\n        %s\n' % (error.filename, error.lineno, (error.text or "").strip())]
        raise FaultError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, error), trace)
    handler = getattr(module, function_name, None)
    if handler is None:
        # As in AWS's runtime, init succeeds and every invocation answers Runtime.HandlerNotFound.
        fault = (function_name, module_name)

        def handler(event, context):
            raise FaultError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % fault, [])

    return handler


# ---- Marshalling ------------------------------------------------------------------------------
# JSON as AWS's Python runtime writes it (json's default separators, Decimal as a float, non-ASCII
# kept from python3.12 on), through the C accelerator `_json` directly: the `json` package imports
# `re`, which costs a cold start more than the rest of the bootstrap. `json` is the fallback.

try:
    import _json

    class _ScanContext(object):
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
        memo = {}

    _scan = _json.make_scanner(_ScanContext())
    _make_encoder = _json.make_encoder
    _encode_string = _json.encode_basestring if sys.version_info >= (3, 12) else _json.encode_basestring_ascii
except (ImportError, AttributeError, TypeError):
    _scan = None
    _make_encoder = None


def _default(obj):
    import decimal

    if isinstance(obj, decimal.Decimal):
        return float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % obj.__class__.__name__)


def _dumps(value):
    if _make_encoder is not None:
        return "".join(_make_encoder({}, _default, _encode_string, None, ": ", ", ", False, False, True)(value, 0))
    import json

    return json.dumps(value, default=_default, ensure_ascii=sys.version_info < (3, 12))


def _loads(data):
    if _scan is not None:
        try:
            text = data.decode("utf-8").strip(" \t\n\r")
            value, end = _scan(text, 0)
            if end == len(text):
                return value
        except Exception:
            pass
    import json

    return json.loads(data)


def _marshal(result):
    try:
        return _dumps(result)
    except Exception as error:
        raise FaultError("Runtime.MarshalError", "Unable to marshal response: %s" % error, [])


# ---- Loop ---------------------------------------------------------------------------------------


def _post_error(path, doc):
    body = _dumps(doc)
    _call("POST", path, body, {"Lambda-Runtime-Function-Error-Type": doc["errorType"]})


def _invoke(handler):
    global _request_id
    status, headers, body = _call("GET", "/invocation/next")
    if status != 200:
        raise ConnectionError("Runtime API /next answered %d" % status)
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        _env["_X_AMZN_TRACE_ID"] = trace_id
    else:
        _env.pop("_X_AMZN_TRACE_ID", None)
    identity = _json_header(headers.get("lambda-runtime-cognito-identity"))
    client_context = _json_header(headers.get("lambda-runtime-client-context"))
    try:
        deadline = int(headers.get("lambda-runtime-deadline-ms") or 0)
    except ValueError:
        deadline = 0
    context = LambdaContext(request_id, deadline or int(time.time() * 1000) + 3000, headers.get("lambda-runtime-invoked-function-arn", ""), identity, client_context)
    try:
        event = _loads(body) if body else None
    except ValueError as error:
        doc = {"errorMessage": "Unable to unmarshal input: %s" % error, "errorType": "Runtime.UnmarshalError", "requestId": request_id, "stackTrace": []}
        _log_error(doc)
        _post_error("/invocation/%s/error" % request_id, doc)
        return
    try:
        result = _marshal(handler(event, context))
    except FaultError as error:
        doc = _error_document(error, error.error_type, error.trace or [])
        _log_error(doc)
        _post_error("/invocation/%s/error" % request_id, doc)
        return
    except Exception as error:
        doc = _error_document(error)
        _log_error(doc)
        _post_error("/invocation/%s/error" % request_id, doc)
        return
    finally:
        _flush_std()
    _call("POST", "/invocation/%s/response" % request_id, result)


def _flush_std():
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass


def _json_header(value):
    if not value:
        return None
    try:
        return _loads(value.encode("utf-8"))
    except ValueError:
        return None


def main():
    if "logging" in sys.modules:
        _install_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingHook())
    try:
        handler = _load_handler(_env.get("_HANDLER", ""))
    except FaultError as error:
        doc = _error_document(error, error.error_type, error.trace or [])
        _log_error(doc)
        _post_error("/init/error", doc)
        sys.exit(1)
    except Exception as error:
        doc = _error_document(error)
        _log_error(doc)
        _post_error("/init/error", doc)
        sys.exit(1)
    while True:
        _invoke(handler)


if __name__ == "__main__":
    main()
