"""Conformance: the official Plivo Python SDK (plivo==4.63.0) against verify-sandbox.

Every test starts its own sandbox process ($VERIFY_SANDBOX_BIN --listen 127.0.0.1:0 --seed N ...),
points the SDK at it and checks the responses documented in sandbox/README.md and in Plivo's
Verify Session API reference. OTPs are read from the sandbox's developer endpoint, callbacks are
received by a small HTTP server in this process and their signatures checked with the SDK's own
validators.

Run it with scripts/test-conformance.
"""

import datetime as dt
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import plivo
import plivo.rest.client
import pytest
import requests
from plivo import exceptions as plivo_errors
from plivo.utils import validate_signature
from plivo.utils.signature_v3 import validate_v3_signature

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
AUTH_TOKEN = "sandbox-auth-token"
START_TIMEOUT = 15.0  # seconds to wait for the sandbox's first stdout line
WAIT_TIMEOUT = 10.0  # bounded polling for asynchronous things (callbacks)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RFC3339_US_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
REQUEST_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0000 UTC$")
ATTEMPT_CHARGE_RE = re.compile(r"^\d+\.\d{5}$")
VALIDATION_CHARGE_RE = re.compile(r"^\d+\.\d{4}$")
# "the total trimmed, as in the reference" (0.11300 -> "0.113"); a zero or whole total may keep
# one decimal ("0.0"), as Plivo's own responses do.
TRIMMED_DECIMAL_RE = re.compile(r"^\d+(\.\d*[1-9]|\.0)?$")

SMS_STATUSES = ["queued", "sent", "delivered"]
SMS_FAILED_STATUSES = ["queued", "sent", "undelivered"]
VOICE_STATUSES = ["ringing", "in-progress", "completed"]
VOICE_FAILED_STATUSES = ["ringing", "in-progress", "no-answer"]

CALLBACK_FIELDS = [
    "AttemptSequence",
    "AttemptUUID",
    "Channel",
    "ChannelErrorCode",
    "ChannelStatus",
    "Recipient",
    "RequestTime",
    "SessionStatus",
    "SessionUUID",
]

SESSION_FIELDS = [
    "session_uuid",
    "app_uuid",
    "recipient",
    "channel",
    "status",
    "locale",
    "count",
    "attempt_details",
    "charges",
    "created_at",
    "updated_at",
]


# --------------------------------------------------------------------------------------------
# The sandbox process
# --------------------------------------------------------------------------------------------


class SandboxClient(plivo.RestClient):
    """plivo.RestClient bound to one sandbox.

    The SDK takes its base URL from the module-level plivo.rest.client.PLIVO_API_BASE_URI, which
    it reads when the client is built *and again on every request* (Client.request resets
    self.base_uri from it). Setting it before each request keeps several sandboxes in one test
    apart; the SDK's own request/response code path is untouched.
    """

    def __init__(self, base_uri, auth_id, auth_token):
        self._sandbox_base_uri = base_uri
        plivo.rest.client.PLIVO_API_BASE_URI = base_uri
        super().__init__(auth_id, auth_token)

    def request(self, *args, **kwargs):
        plivo.rest.client.PLIVO_API_BASE_URI = self._sandbox_base_uri
        return super().request(*args, **kwargs)


class Sandbox:
    def __init__(self, *flags, seed=1, auth_id=AUTH_ID, auth_token=AUTH_TOKEN):
        binary = os.environ.get("VERIFY_SANDBOX_BIN")
        if not binary or not os.path.exists(binary):
            pytest.fail("VERIFY_SANDBOX_BIN must name the built verify-sandbox binary (got %r)" % binary)
        self.auth_id = auth_id
        self.auth_token = auth_token
        args = [binary, "--listen", "127.0.0.1:0", "--seed", str(seed)]
        if auth_id != AUTH_ID:
            args += ["--auth-id", auth_id]
        if auth_token != AUTH_TOKEN:
            args += ["--auth-token", auth_token]
        args += [str(f) for f in flags]
        # The sandbox reads these variables as defaults for its flags: keep the caller's
        # environment from changing what the tests expect.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("VERIFY_SANDBOX_") and k not in ("PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN")
        }
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr, env=env
        )
        self.extra_stdout = b""
        self.addr = self._read_first_line()
        self.url = "http://" + self.addr
        self.plivo_base = self.url + "/v1/Account"
        self.http = requests.Session()

    def _read_first_line(self):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + START_TIMEOUT
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                pytest.fail("sandbox printed no address within %ss; stderr:\n%s" % (START_TIMEOUT, self.stderr_text()[-2000:]))
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.stop()
                pytest.fail("sandbox exited (%r) before printing its address; stderr:\n%s" % (self.proc.returncode, self.stderr_text()[-2000:]))
            buf += chunk
        line, _, rest = buf.partition(b"\n")
        self.extra_stdout = rest
        addr = line.decode().strip()
        assert re.match(r"^127\.0\.0\.1:\d+$", addr), "first stdout line is not the bound address: %r" % addr
        assert not addr.endswith(":0")
        return addr

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def rest_of_stdout(self):
        """After the process exited: everything it wrote to stdout after the first line."""
        return self.extra_stdout + self.proc.stdout.read()

    # ---- SDK clients --------------------------------------------------------------------

    def client(self, auth_id=None, auth_token=None):
        return SandboxClient(self.plivo_base, auth_id or self.auth_id, auth_token or self.auth_token)

    # ---- developer endpoints (not Plivo's API) -------------------------------------------

    def dev_get(self, path, **params):
        r = self.http.get(self.url + path, params=params, timeout=5)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def dev_post(self, path, body):
        r = self.http.post(self.url + path, json=body, timeout=5)
        assert r.status_code in (200, 204), (path, r.status_code, r.text)
        return r.json() if r.content else None

    def otp(self, session_uuid):
        otp = self.dev_get("/__sandbox/sessions/%s/otp" % session_uuid)["otp"]
        assert isinstance(otp, str) and otp.isdigit(), otp
        return otp

    def advance(self, secs):
        self.dev_post("/__sandbox/clock", {"advance_secs": secs})


@pytest.fixture
def sandboxes():
    """Factory: start sandboxes with extra flags; all are stopped at teardown."""
    started = []

    def start(*flags, **kwargs):
        sb = Sandbox(*flags, **kwargs)
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.stop()


@pytest.fixture
def sb(sandboxes):
    return sandboxes()


@pytest.fixture
def client(sb):
    return sb.client()


# --------------------------------------------------------------------------------------------
# The callback receiver
# --------------------------------------------------------------------------------------------


class Receiver:
    """http.server on 127.0.0.1:0 recording every request; answers 200 (or 500 once per path
    listed in fail_once)."""

    def __init__(self):
        self.records = []
        self.cond = threading.Condition()
        self.fail_once = set()
        self._failed = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                if self.command == "POST":
                    raw = parse_qs(body.decode("utf-8"), keep_blank_values=True)
                else:
                    raw = parse_qs(split.query, keep_blank_values=True)
                with receiver.cond:
                    if split.path in receiver.fail_once and split.path not in receiver._failed:
                        receiver._failed.add(split.path)
                        status = 500
                    else:
                        status = 200
                    receiver.records.append(
                        {
                            "method": self.command,
                            "url": "http://%s%s" % (self.headers.get("Host"), self.path),
                            "path": split.path,
                            "raw_path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "raw_params": raw,
                            "params": {k: v[-1] for k, v in raw.items()},
                            "body": body,
                            "answered": status,
                        }
                    )
                    receiver.cond.notify_all()
                payload = b"ok"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self):
        with self.cond:
            return list(self.records)

    def wait_for(self, predicate, timeout=WAIT_TIMEOUT):
        """Poll (bounded) until predicate(records) is true; return the records either way."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(list(self.records)):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.2))
            return list(self.records)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def summary(records):
    """Short description of received callbacks, for assertion messages."""
    return [
        (
            r["method"],
            r["raw_path"].split("&")[0],
            r["answered"],
            r["params"].get("SessionUUID", "")[:8],
            r["params"].get("AttemptSequence"),
            r["params"].get("Channel"),
            r["params"].get("ChannelStatus"),
            r["params"].get("SessionStatus"),
        )
        for r in records
    ]


def callbacks_for(records, session_uuid, answered=None):
    return [
        r
        for r in records
        if r["params"].get("SessionUUID") == session_uuid and (answered is None or r["answered"] == answered)
    ]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def parse_time(s):
    assert RFC3339_US_RE.match(s), "not RFC 3339 UTC with microseconds: %r" % s
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")


def filter_time(t, precision="us"):
    """A datetime as the list API's session_time filter wants it (UTC)."""
    if precision == "min":
        return t.strftime("%Y-%m-%d %H:%M")
    if precision == "s":
        return t.strftime("%Y-%m-%d %H:%M:%S")
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def wrong_code(otp):
    return "".join(str((int(c) + 1) % 10) for c in otp)


def as_dict(obj):
    """ResponseObject / Session (nested) -> plain dicts and lists."""
    if isinstance(obj, list):
        return [as_dict(x) for x in obj]
    if hasattr(obj, "__dict__") and not isinstance(obj, (str, int, float)):
        return {k: as_dict(v) for k, v in vars(obj).items() if k not in ("client", "_name")}
    return obj


def uuids_of(list_response):
    return [s.session_uuid for s in list_response]


def is_ordered_subsequence(seq, order):
    """seq only has values from order, each at most once, in that order."""
    positions = []
    for v in seq:
        if v not in order:
            return False
        positions.append(order.index(v))
    return positions == sorted(set(positions))


def check_session_shape(s):
    """The documented Session object: every attribute present, with the documented formats."""
    d = as_dict(s)
    for field in SESSION_FIELDS:
        assert field in d, "Session lacks %r: %r" % (field, d)
    assert UUID_RE.match(d["session_uuid"])
    assert UUID_RE.match(d["app_uuid"])
    assert re.match(r"^\d{7,15}$", d["recipient"]), "recipient must be digits without '+': %r" % d["recipient"]
    assert d["channel"] in ("sms", "voice")
    assert d["status"] in ("in-progress", "verified", "expired")
    assert isinstance(d["locale"], str) and d["locale"]
    assert isinstance(d["count"], int) and d["count"] >= 1
    assert len(d["attempt_details"]) == d["count"]
    created = parse_time(d["created_at"])
    updated = parse_time(d["updated_at"])
    assert updated >= created
    for a in d["attempt_details"]:
        assert set(a) >= {"channel", "attempt_uuid", "status", "time"}, a
        assert a["channel"] in ("sms", "voice")
        assert UUID_RE.match(a["attempt_uuid"])
        # voice attempts read as in the reference's example ("ANSWER", "EARLY MEDIA")
        allowed = SMS_STATUSES + ["undelivered", "failed"] if a["channel"] == "sms" else ["ringing", "ANSWER", "EARLY MEDIA"]
        assert a["status"] in allowed, a
        assert created <= parse_time(a["time"])
    assert d["channel"] == d["attempt_details"][-1]["channel"], "channel is the last one used"
    charges = d["charges"]
    assert set(charges) >= {"total_charge", "validation_charge", "attempt_charges"}, charges
    assert VALIDATION_CHARGE_RE.match(charges["validation_charge"])
    # a validation is charged once verified (the SDKs' fixtures), and counted in the total
    assert (Decimal(charges["validation_charge"]) > 0) == (d["status"] == "verified"), charges
    assert [c["attempt_uuid"] for c in charges["attempt_charges"]] == [a["attempt_uuid"] for a in d["attempt_details"]]
    total = Decimal(charges["validation_charge"])
    for c, a in zip(charges["attempt_charges"], d["attempt_details"]):
        assert c["channel"] == a["channel"]
        assert isinstance(c["charge"], str) and ATTEMPT_CHARGE_RE.match(c["charge"]), c
        total += Decimal(c["charge"])
    assert isinstance(charges["total_charge"], str)
    assert TRIMMED_DECIMAL_RE.match(charges["total_charge"]), "total_charge not trimmed: %r" % charges["total_charge"]
    assert Decimal(charges["total_charge"]) == total
    return d


# --------------------------------------------------------------------------------------------
# Create / get
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "channel,method,recipient,digits,country,code_length",
    [
        ("sms", "POST", "+447700900123", "447700900123", "GB", 4),
        ("voice", "GET", "919380013443", "919380013443", "IN", 8),
    ],
)
def test_create_with_all_arguments_then_get(sb, client, receiver, channel, method, recipient, digits, country, code_length):
    app_uuid = str(uuid.uuid4())
    resp = client.verify_session.create(
        recipient=recipient,
        app_uuid=app_uuid,
        channel=channel,
        url=receiver.base + "/cb?tenant=a",
        method=method,
        locale="es",
        brand_name="Acme",
        app_hash="AbCdEfGhIjK",
        code_length=code_length,
    )
    assert isinstance(resp.api_id, str) and resp.api_id
    assert resp.message == "Session initiated"
    assert UUID_RE.match(resp.session_uuid)

    s = client.verify_session.get(resp.session_uuid)
    assert isinstance(s, plivo.resources.verify.Session)
    assert isinstance(s.api_id, str) and s.api_id
    d = check_session_shape(s)
    assert d["session_uuid"] == resp.session_uuid
    assert d["app_uuid"] == app_uuid
    assert d["recipient"] == digits
    assert d["channel"] == channel
    assert d["status"] == "in-progress"
    assert d["locale"] == "es"
    assert d["count"] == 1
    assert d["attempt_details"][0]["channel"] == channel
    # The attempt carries the settings it was sent with, as in the SDKs' fixtures.
    assert d["attempt_details"][0]["brand_name"] == "Acme"
    assert d["attempt_details"][0]["app_hash"] == "AbCdEfGhIjK"
    assert d["attempt_details"][0]["code_length"] == code_length
    assert d["destination_country_iso2"] == country

    otp = sb.otp(resp.session_uuid)
    assert len(otp) == code_length

    msgs = [m for m in sb.dev_get("/__sandbox/messages")["messages"] if m["session_uuid"] == resp.session_uuid]
    assert len(msgs) == 1
    m = msgs[0]
    assert m["attempt_uuid"] == d["attempt_details"][0]["attempt_uuid"]
    assert m["channel"] == channel
    assert m["recipient"].lstrip("+") == digits
    assert otp in re.sub(r"\D", "", m["text"]) and "Acme" in m["text"], m
    if channel == "sms":
        # reference: "The app_hash will be appended at the end of your verification SMS body."
        assert m["text"].rstrip().endswith("AbCdEfGhIjK")


def test_create_defaults(sb, client):
    # The SDK sends "method": "POST" although no url is given; the sandbox accepts it.
    resp = client.verify_session.create(recipient="+14155550100")
    assert resp.message == "Session initiated"
    d = check_session_shape(client.verify_session.get(resp.session_uuid))
    assert d["recipient"] == "14155550100"
    assert d["channel"] == "sms"
    assert d["locale"] == "en"
    assert d["status"] == "in-progress"
    assert d["count"] == 1
    assert len(sb.otp(resp.session_uuid)) == 6


def test_same_recipient_and_app_reuses_the_session(sb, client):
    app_uuid = str(uuid.uuid4())
    first = client.verify_session.create(recipient="+14155550123", app_uuid=app_uuid)
    otp = sb.otp(first.session_uuid)
    again = client.verify_session.create(recipient="14155550123", app_uuid=app_uuid, channel="voice")
    assert again.message == "Session initiated"
    assert again.session_uuid == first.session_uuid
    assert sb.otp(first.session_uuid) == otp, "a re-send carries the same code"

    d = check_session_shape(client.verify_session.get(first.session_uuid))
    assert d["count"] == 2
    assert d["channel"] == "voice"
    assert [a["channel"] for a in d["attempt_details"]] == ["sms", "voice"]
    assert len(set(a["attempt_uuid"] for a in d["attempt_details"])) == 2
    assert len(d["charges"]["attempt_charges"]) == 2

    other_app = client.verify_session.create(recipient="+14155550123", app_uuid=str(uuid.uuid4()))
    assert other_app.session_uuid != first.session_uuid

    # once verified, the next create starts a new session
    client.verify_session.validate(first.session_uuid, otp=otp)
    fresh = client.verify_session.create(recipient="+14155550123", app_uuid=app_uuid)
    assert fresh.session_uuid != first.session_uuid
    assert client.verify_session.get(fresh.session_uuid).count == 1


def test_attempt_status_follows_sandbox_time(sb, client):
    ok_sms = client.verify_session.create(recipient="+14155550131")
    bad_sms = client.verify_session.create(recipient="+14155550000")
    ok_voice = client.verify_session.create(recipient="+14155550132", channel="voice")
    bad_voice = client.verify_session.create(recipient="+14155560000", channel="voice")
    sb.advance(30)
    expected = {
        ok_sms.session_uuid: "delivered",
        bad_sms.session_uuid: "undelivered",
        # voice attempts read as in the reference's example
        ok_voice.session_uuid: "ANSWER",
        bad_voice.session_uuid: "EARLY MEDIA",
    }
    for session_uuid, status in expected.items():
        d = check_session_shape(client.verify_session.get(session_uuid))
        assert d["attempt_details"][0]["status"] == status, (session_uuid, d)
        assert d["status"] == "in-progress"


# --------------------------------------------------------------------------------------------
# Validate
# --------------------------------------------------------------------------------------------


def test_validate_wrong_then_right_code(sb, client):
    resp = client.verify_session.create(recipient="+14155550140", app_uuid=str(uuid.uuid4()))
    otp = sb.otp(resp.session_uuid)

    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=wrong_code(otp))
    assert str(e.value) == "invalid OTP"
    assert client.verify_session.get(resp.session_uuid).status == "in-progress"

    # The SDK also puts session_uuid in the JSON body; the sandbox ignores it.
    ok = client.verify_session.validate(session_uuid=resp.session_uuid, otp=otp)
    assert ok.message == "session validated successfully."
    assert isinstance(ok.api_id, str) and ok.api_id

    d = check_session_shape(client.verify_session.get(resp.session_uuid))
    assert d["status"] == "verified"

    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=otp)
    assert str(e.value) == "session already validated"


def test_too_many_wrong_codes_expire_the_session(sandboxes):
    sb = sandboxes("--max-attempts", "2")
    client = sb.client()
    resp = client.verify_session.create(recipient="+14155550150")
    otp = sb.otp(resp.session_uuid)
    # README: "validation attempts a session allows: the Nth wrong code expires it".
    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=wrong_code(otp))
    assert str(e.value) == "invalid OTP"
    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=wrong_code(otp))
    assert str(e.value) == "too many attempts: session expired"
    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=otp)
    assert str(e.value) == "session expired"
    assert client.verify_session.get(resp.session_uuid).status == "expired"


def test_code_expiry(sandboxes):
    sb = sandboxes("--code-expiry", "90s")
    client = sb.client()
    resp = client.verify_session.create(recipient="+14155550160")
    otp = sb.otp(resp.session_uuid)
    sb.advance(30)
    assert client.verify_session.get(resp.session_uuid).status == "in-progress"
    sb.advance(61)
    assert client.verify_session.get(resp.session_uuid).status == "expired"
    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.validate(resp.session_uuid, otp=otp)
    assert str(e.value) == "session expired"
    # an expired session no longer blocks a new one for the same recipient
    again = client.verify_session.create(recipient="+14155550160")
    assert again.session_uuid != resp.session_uuid


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_wrong_credentials_raise_authentication_error(sb, client):
    resp = client.verify_session.create(recipient="+14155550170")
    for bad in (sb.client(auth_token="not-the-token"), sb.client(auth_id="MAYYYYYYYYYYYYYYYYYY")):
        with pytest.raises(plivo_errors.AuthenticationError):
            bad.verify_session.create(recipient="+14155550171")
        with pytest.raises(plivo_errors.AuthenticationError):
            bad.verify_session.get(resp.session_uuid)
        with pytest.raises(plivo_errors.AuthenticationError):
            bad.verify_session.list()
        with pytest.raises(plivo_errors.AuthenticationError):
            bad.verify_session.validate(resp.session_uuid, otp="123456")
    # nothing was created or validated by the rejected requests
    assert uuids_of(client.verify_session.list()) == [resp.session_uuid]
    assert client.verify_session.get(resp.session_uuid).status == "in-progress"


def test_unknown_session_raises_resource_not_found(client):
    unknown = str(uuid.uuid4())
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        client.verify_session.get(unknown)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        client.verify_session.validate(unknown, otp="123456")


@pytest.mark.parametrize(
    "kwargs,names",
    [
        ({"recipient": "not-a-number"}, "recipient"),
        ({"recipient": "+123"}, "recipient"),
        ({"recipient": "+14155550180", "code_length": 3}, "code_length"),
        ({"recipient": "+14155550180", "code_length": 9}, "code_length"),
        ({"recipient": "+14155550180", "method": "PUT"}, "method"),
        ({"recipient": "+14155550180", "app_uuid": "not-a-uuid"}, "app_uuid"),
    ],
)
def test_bad_parameters_raise_validation_error(client, kwargs, names):
    with pytest.raises(plivo_errors.ValidationError) as e:
        client.verify_session.create(**kwargs)
    assert names in str(e.value), "the 400 message should name the parameter: %r" % str(e.value)
    assert len(client.verify_session.list()) == 0, "a rejected request changes nothing"


def test_injected_faults_map_to_sdk_errors(sb, client):
    current = sb.dev_get("/__sandbox/faults")
    sb.dev_post("/__sandbox/faults", {"spec": current.get("spec") or "", "next": ["500", "503", "429"]})
    with pytest.raises(plivo_errors.PlivoServerError):
        client.verify_session.create(recipient="+14155550190")
    with pytest.raises(plivo_errors.PlivoRestError) as e:
        client.verify_session.create(recipient="+14155550190")
    assert "503" in str(e.value)
    with pytest.raises(plivo_errors.PlivoRestError) as e:
        client.verify_session.create(recipient="+14155550190")
    assert "429" in str(e.value)
    assert len(client.verify_session.list()) == 0, "a faulted request changes nothing"
    assert client.verify_session.create(recipient="+14155550190").message == "Session initiated"


# --------------------------------------------------------------------------------------------
# List
# --------------------------------------------------------------------------------------------


def test_list_filters(sandboxes):
    sb = sandboxes("--list-rate-limit", "0", "--max-attempts", "2")
    client = sb.client()
    app_a, app_b = str(uuid.uuid4()), str(uuid.uuid4())
    s1 = client.verify_session.create(recipient="+14155550201", app_uuid=app_a, brand_name="Acme", app_hash="hashA").session_uuid
    s2 = client.verify_session.create(recipient="+447700900202", app_uuid=app_a, brand_name="Beta", app_hash="hashB", channel="voice").session_uuid
    s3 = client.verify_session.create(recipient="+919380013443", app_uuid=app_b, brand_name="Acme", app_hash="hashB").session_uuid
    s4 = client.verify_session.create(recipient="+14155550201", app_uuid=app_b, brand_name="Beta", app_hash="hashA").session_uuid
    assert len({s1, s2, s3, s4}) == 4
    sb.advance(60)  # every attempt reaches its final status: nothing changes between list and get

    client.verify_session.validate(s1, otp=sb.otp(s1))  # verified
    for _ in range(2):  # expired by too many wrong codes (the 2nd, with --max-attempts 2)
        with pytest.raises(plivo_errors.ValidationError):
            client.verify_session.validate(s2, otp=wrong_code(sb.otp(s2)))

    everything = client.verify_session.list()
    assert uuids_of(everything) == [s4, s3, s2, s1], "newest first"
    for item in everything:
        d = check_session_shape(item)
        full = as_dict(client.verify_session.get(d["session_uuid"]))
        full.pop("api_id")
        assert d == full, "a listed session equals the one get returns"

    def listed(**filters):
        return set(uuids_of(client.verify_session.list(**filters)))

    assert listed(status="verified") == {s1}
    assert listed(status="expired") == {s2}
    assert listed(status="in-progress") == {s3, s4}
    assert listed(recipient="+14155550201") == {s1, s4}
    assert listed(recipient="14155550201") == {s1, s4}
    assert listed(recipient="447700900202") == {s2}
    assert listed(recipient="+14155550999") == set()
    assert listed(app_uuid=app_a) == {s1, s2}
    assert listed(app_uuid=app_b) == {s3, s4}
    assert listed(app_uuid=str(uuid.uuid4())) == set()
    assert listed(brand_name="Acme") == {s1, s3}
    assert listed(brand_name="Beta") == {s2, s4}
    assert listed(app_hash="hashA") == {s1, s4}
    assert listed(app_hash="hashB") == {s2, s3}
    assert listed(country="GB") == {s2}
    assert listed(country="IN") == {s3}
    assert listed(country="FR") == set()
    # Sessions sent with the parent account's credentials belong to no subaccount.
    assert listed(subaccount="SA" + "Z" * 18) == set()
    # combinations
    assert listed(app_uuid=app_a, status="verified") == {s1}
    assert listed(brand_name="Acme", country="IN") == {s3}
    assert listed(recipient="+14155550201", app_hash="hashA", status="in-progress") == {s4}


def test_list_alias_matches_nothing(sandboxes):
    # README: "`alias` (sandbox sessions have none, so it matches nothing)".
    sb = sandboxes("--list-rate-limit", "0")
    client = sb.client()
    a = client.verify_session.create(recipient="+14155550205", brand_name="Acme").session_uuid
    b = client.verify_session.create(recipient="+14155550206").session_uuid
    assert uuids_of(client.verify_session.list()) == [b, a]
    assert uuids_of(client.verify_session.list(alias="Acme")) == []


def test_list_subaccount_filter(sandboxes):
    # NOTE: README documents the `subaccount` filter but no way to act as a subaccount; the
    # sandbox's `--subaccount SA...:token` flag (in --help, not in README) provides one.
    sub1, sub2 = "SA" + "B" * 18, "SA" + "C" * 18
    sb = sandboxes("--list-rate-limit", "0", "--subaccount", sub1 + ":tok-b", "--subaccount", sub2 + ":tok-c")
    main = sb.client()
    c1 = sb.client(auth_id=sub1, auth_token="tok-b")
    c2 = sb.client(auth_id=sub2, auth_token="tok-c")
    m = main.verify_session.create(recipient="+14155550210").session_uuid
    a = c1.verify_session.create(recipient="+14155550211").session_uuid
    b = c1.verify_session.create(recipient="+14155550212").session_uuid
    c = c2.verify_session.create(recipient="+14155550213").session_uuid
    assert uuids_of(main.verify_session.list()) == [c, b, a, m]
    assert uuids_of(main.verify_session.list(subaccount=sub1)) == [b, a]
    assert uuids_of(main.verify_session.list(subaccount=sub2)) == [c]
    assert uuids_of(main.verify_session.list(subaccount="SA" + "D" * 18)) == []
    # "The subaccount filter is implicitly applied when a subaccount's API credentials are used"
    assert uuids_of(c1.verify_session.list()) == [b, a]
    assert uuids_of(c2.verify_session.list()) == [c]
    assert c1.verify_session.get(a).session_uuid == a


def test_list_session_time_filters(sandboxes):
    sb = sandboxes("--list-rate-limit", "0")
    client = sb.client()
    a = client.verify_session.create(recipient="+14155550221").session_uuid
    sb.advance(120)
    b = client.verify_session.create(recipient="+14155550222").session_uuid
    sb.advance(120)
    c = client.verify_session.create(recipient="+14155550223").session_uuid
    ta, tb, tc = (parse_time(client.verify_session.get(u).created_at) for u in (a, b, c))
    assert ta < tb < tc

    def listed(**filters):
        return uuids_of(client.verify_session.list(**filters))

    assert listed() == [c, b, a]
    assert listed(session_time__gt=filter_time(ta)) == [c, b]
    assert listed(session_time__gte=filter_time(ta)) == [c, b, a]
    assert listed(session_time__gte=filter_time(tb)) == [c, b]
    assert listed(session_time__lt=filter_time(tc)) == [b, a]
    assert listed(session_time__lte=filter_time(tc)) == [c, b, a]
    assert listed(session_time__lte=filter_time(tb)) == [b, a]
    assert listed(session_time__gt=filter_time(ta), session_time__lt=filter_time(tc)) == [b]
    assert listed(session_time__gte=filter_time(tb), session_time__lte=filter_time(tb)) == [b]
    # exact session_time matches at the precision given
    assert listed(session_time=filter_time(tb)) == [b]
    assert listed(session_time=filter_time(tb, "s")) == [b]
    assert listed(session_time=filter_time(tb, "min")) == [b]
    assert listed(session_time=filter_time(tc + dt.timedelta(minutes=1), "min")) == []
    # minute precision on the range forms: the whole minute of b is at or after its start
    assert listed(session_time__gte=filter_time(tb, "min")) == [c, b]
    assert listed(session_time__lt=filter_time(tb, "min")) == [a]


def test_list_default_window_and_90_days(sandboxes):
    sb = sandboxes("--list-rate-limit", "0")
    client = sb.client()
    a = client.verify_session.create(recipient="+14155550231").session_uuid
    ta = parse_time(client.verify_session.get(a).created_at)
    sb.advance(25 * 3600)
    b = client.verify_session.create(recipient="+14155550232").session_uuid
    since = filter_time(ta - dt.timedelta(minutes=1))

    assert uuids_of(client.verify_session.list()) == [b], "without session_time only the last 24 h"
    assert uuids_of(client.verify_session.list(session_time__gte=since)) == [b, a]
    assert uuids_of(client.verify_session.list(session_time=filter_time(ta))) == [a]

    sb.advance(89 * 24 * 3600)  # now a is 90 days + 1 h old, b 89 days
    c = client.verify_session.create(recipient="+14155550233").session_uuid
    assert uuids_of(client.verify_session.list()) == [c]
    assert uuids_of(client.verify_session.list(session_time__gte=since)) == [c, b], "nothing older than 90 days"
    assert uuids_of(client.verify_session.list(session_time=filter_time(ta))) == []
    # ... though it still exists
    assert client.verify_session.get(a).session_uuid == a


def _page_query(url):
    parts = urlsplit(url)
    assert parts.scheme == "" and parts.netloc == "", "meta.next/previous are relative URLs: %r" % url
    assert parts.path.rstrip("/") == "/v1/Account/%s/Verify/Session" % AUTH_ID, url
    q = parse_qs(parts.query)
    assert all(len(v) == 1 for v in q.values()), url
    return {k: v[0] for k, v in q.items()}


def test_list_pagination(sandboxes):
    sb = sandboxes("--list-rate-limit", "0")
    client = sb.client()
    created = []
    for i in range(25):
        brand = "Q" if i in (3, 11) else "P"
        created.append(client.verify_session.create(recipient="+1415555%04d" % (300 + i), brand_name=brand).session_uuid)
    newest_first = list(reversed(created))
    p_only = [u for i, u in reversed(list(enumerate(created))) if i not in (3, 11)]

    first = client.verify_session.list()
    assert uuids_of(first) == newest_first[:20], "default limit 20"
    assert first.meta.limit == 20 and first.meta.offset == 0
    assert first.meta.previous is None
    assert _page_query(first.meta.next) == {"limit": "20", "offset": "20"}

    last = client.verify_session.list(offset=20)
    assert uuids_of(last) == newest_first[20:]
    assert last.meta.limit == 20 and last.meta.offset == 20
    assert last.meta.next is None
    assert _page_query(last.meta.previous) == {"limit": "20", "offset": "0"}

    mid = client.verify_session.list(limit=7, offset=7)
    assert uuids_of(mid) == newest_first[7:14]
    assert mid.meta.limit == 7 and mid.meta.offset == 7
    assert _page_query(mid.meta.next) == {"limit": "7", "offset": "14"}
    assert _page_query(mid.meta.previous) == {"limit": "7", "offset": "0"}

    beyond = client.verify_session.list(limit=5, offset=40)
    assert uuids_of(beyond) == []
    assert beyond.meta.next is None

    # next/previous carry the same filters; following them (raw, and through the SDK) works
    page = client.verify_session.list(brand_name="P", limit=10, offset=10)
    assert uuids_of(page) == p_only[10:20]
    nxt = _page_query(page.meta.next)
    assert nxt == {"brand_name": "P", "limit": "10", "offset": "20"}
    assert _page_query(page.meta.previous) == {"brand_name": "P", "limit": "10", "offset": "0"}
    raw = requests.get(sb.url + page.meta.next, auth=(AUTH_ID, AUTH_TOKEN), timeout=5)
    assert raw.status_code == 200, raw.text
    assert [s["session_uuid"] for s in raw.json()["sessions"]] == p_only[20:]
    assert raw.json()["meta"]["next"] is None
    via_sdk = client.verify_session.list(brand_name=nxt["brand_name"], limit=int(nxt["limit"]), offset=int(nxt["offset"]))
    assert uuids_of(via_sdk) == p_only[20:]

    # walking meta.next from the first page visits every session once, newest first
    seen, params, pages = [], {"limit": 6, "offset": 0}, 0
    while True:
        resp = client.verify_session.list(**params)
        seen += uuids_of(resp)
        pages += 1
        assert pages <= 10
        if resp.meta.next is None:
            break
        q = _page_query(resp.meta.next)
        params = {"limit": int(q["limit"]), "offset": int(q["offset"])}
    assert seen == newest_first


def test_list_rate_limit(sb, client):
    client.verify_session.create(recipient="+14155550240")
    for _ in range(20):
        assert len(client.verify_session.list()) == 1
    with pytest.raises(plivo_errors.PlivoRestError) as e:
        client.verify_session.list()
    assert "429" in str(e.value)
    raw = requests.get(sb.plivo_base + "/%s/Verify/Session/" % AUTH_ID, auth=(AUTH_ID, AUTH_TOKEN), timeout=5)
    assert raw.status_code == 429
    assert int(raw.headers["Retry-After"]) > 0
    assert "error" in raw.json() and "api_id" in raw.json()
    sb.advance(61)
    assert len(client.verify_session.list()) == 1


# --------------------------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------------------------


def check_signatures(record, auth_token):
    """Every callback carries V2, Ma-V2 and their nonce, as Plivo's Verify docs say, and both
    validate with the SDK's V2 validator; V3 (only with --sign all) with its V3 validator.
    Tampering breaks them."""
    h = record["headers"]
    for name in ("x-plivo-signature-v2", "x-plivo-signature-ma-v2", "x-plivo-signature-v2-nonce"):
        assert h.get(name), "callback lacks header %s: %r" % (name, h)
    method, url = record["method"], record["url"]
    v2, ma_v2, v2_nonce = h["x-plivo-signature-v2"], h["x-plivo-signature-ma-v2"], h["x-plivo-signature-v2-nonce"]
    for signature in (v2, ma_v2):
        assert validate_signature(url, v2_nonce, signature, auth_token), ("V2", record)
        assert not validate_signature(url, v2_nonce, signature, auth_token + "x")
        assert not validate_signature(url, v2_nonce + "0", signature, auth_token)
        assert not validate_signature(url.replace("/cb", "/cX", 1), v2_nonce, signature, auth_token)
    if "x-plivo-signature-v3" in h:
        check_v3_signature(record, auth_token)


def check_v3_signature(record, auth_token):
    h = record["headers"]
    method, url = record["method"], record["url"]
    v3, v3_nonce = h["x-plivo-signature-v3"], h["x-plivo-signature-v3-nonce"]
    if method == "POST":
        params = dict(record["params"])
        assert validate_v3_signature(method, url, v3_nonce, auth_token, v3, params), ("V3", record)
        tampered = dict(params, ChannelStatus=params["ChannelStatus"] + "x")
        assert not validate_v3_signature(method, url, v3_nonce, auth_token, v3, tampered)
    else:
        # GET: the parameters are in the URL; with or without them passed again it validates
        assert validate_v3_signature(method, url, v3_nonce, auth_token, v3), ("V3", record)
        assert validate_v3_signature(method, url, v3_nonce, auth_token, v3, dict(record["params"])), ("V3", record)
        status = record["params"]["ChannelStatus"]
        tampered_url = url.replace("ChannelStatus=" + status, "ChannelStatus=" + status + "x")
        assert tampered_url != url
        assert not validate_v3_signature(method, tampered_url, v3_nonce, auth_token, v3)
    assert not validate_v3_signature(method, url, v3_nonce, auth_token + "x", v3, dict(record["params"]) if method == "POST" else None)
    assert not validate_v3_signature(method, url, v3_nonce + "0", auth_token, v3, dict(record["params"]) if method == "POST" else None)


def check_callback_fields(record, session, attempt_index):
    p = record["params"]
    for field in CALLBACK_FIELDS:
        assert field in p, "callback lacks %s: %r" % (field, p)
    attempt = session["attempt_details"][attempt_index]
    assert p["SessionUUID"] == session["session_uuid"]
    assert p["AttemptSequence"] == str(attempt_index + 1)
    assert p["AttemptUUID"] == attempt["attempt_uuid"]
    assert p["Channel"] == attempt["channel"]
    assert p["Recipient"].lstrip("+") == session["recipient"]
    assert REQUEST_TIME_RE.match(p["RequestTime"]), p["RequestTime"]
    # "UTC time when this attempt was created"
    assert p["RequestTime"] == parse_time(attempt["time"]).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    assert p["SessionStatus"] in ("in-progress", "verified", "expired")
    statuses = SMS_STATUSES + ["undelivered", "failed"] if p["Channel"] == "sms" else VOICE_STATUSES + ["no-answer"]
    assert p["ChannelStatus"] in statuses, p
    if p["ChannelStatus"] == "undelivered":
        assert p["ChannelErrorCode"] == "30008"
    if p["ChannelStatus"] == "no-answer":
        assert p["ChannelErrorCode"] == "480"
    if p["ChannelStatus"] in ("delivered", "completed"):
        assert p["ChannelErrorCode"] in ("", "0", "000"), p


def test_callbacks_post_and_get_are_signed(sandboxes, receiver):
    # --sign all: V3 as well, so that the SDK's V3 validator is checked too.
    sb = sandboxes("--sign", "all")
    client = sb.client()
    cases = {
        # name: (recipient, url path, method)
        "post": ("+14155550301", "/cb/post", "POST"),
        "post_q": ("+14155550302", "/cb/post?tenant=b", "POST"),
        "get_q": ("+14155550303", "/cb/get?tenant=a", "GET"),
        "failed": ("+14155550000", "/cb/failed", "POST"),
    }
    sessions = {}
    for name, (recipient, path, method) in cases.items():
        sessions[name] = client.verify_session.create(recipient=recipient, url=receiver.base + path, method=method).session_uuid

    finals = {"post": "delivered", "post_q": "delivered", "get_q": "delivered", "failed": "undelivered"}

    def all_final(records):
        return all(
            any(r["params"].get("ChannelStatus") == finals[n] for r in callbacks_for(records, u))
            for n, u in sessions.items()
        )

    records = receiver.wait_for(all_final)
    assert all_final(records), "not every session reached its final callback in %ss: %r" % (WAIT_TIMEOUT, summary(records))

    otp = sb.otp(sessions["post"])
    assert client.verify_session.validate(sessions["post"], otp=otp).message == "session validated successfully."
    records = receiver.wait_for(
        lambda rs: any(r["params"].get("SessionStatus") == "verified" for r in callbacks_for(rs, sessions["post"]))
    )

    for name, session_uuid in sessions.items():
        recipient, path, method = cases[name]
        got = callbacks_for(records, session_uuid)
        assert got, name
        session = as_dict(client.verify_session.get(session_uuid))
        for r in got:
            assert r["method"] == method, (name, r)
            assert r["answered"] == 200
            split = urlsplit(r["raw_path"])
            assert split.path == urlsplit(path).path
            if method == "POST":
                assert r["headers"].get("content-type", "").startswith("application/x-www-form-urlencoded"), r["headers"]
                assert split.query == urlsplit(path).query, "POST keeps the URL's own query and sends params as form data"
            else:
                assert r["body"] == b""
                assert r["raw_params"].get("tenant") == ["a"], "GET keeps the callback URL's own query"
            for k, v in r["raw_params"].items():
                assert len(v) == 1, (k, v)
            check_callback_fields(r, session, 0)
            check_signatures(r, sb.auth_token)
            assert "x-plivo-signature-v3" in r["headers"], "--sign all adds V3"

        in_progress = [r["params"]["ChannelStatus"] for r in got if r["params"]["SessionStatus"] == "in-progress"]
        order = SMS_FAILED_STATUSES if name == "failed" else SMS_STATUSES
        assert in_progress in (order, order[1:]), "every channel status change, in order: %r" % in_progress

    verified = [r for r in callbacks_for(records, sessions["post"]) if r["params"]["SessionStatus"] == "verified"]
    assert len(verified) == 1
    assert callbacks_for(records, sessions["post"])[-1] is verified[0], "verified is the last one"

    # the developer endpoint saw them delivered
    log = sb.dev_get("/__sandbox/callbacks", session_uuid=sessions["get_q"])["callbacks"]
    assert log and all(c["session_uuid"] == sessions["get_q"] and c["state"] == "delivered" and c["method"] == "GET" for c in log), log
    assert len(log) == len(callbacks_for(records, sessions["get_q"]))


def test_callbacks_voice_second_attempt_and_expiry(sandboxes, receiver):
    sb = sandboxes("--code-expiry", "120s", seed=7)
    client = sb.client()
    app_uuid = str(uuid.uuid4())
    url = receiver.base + "/cb/v?tenant=v"
    two = client.verify_session.create(recipient="+447700900311", app_uuid=app_uuid, url=url, method="POST").session_uuid
    again = client.verify_session.create(recipient="+447700900311", app_uuid=app_uuid, url=url, method="POST", channel="voice")
    assert again.session_uuid == two
    no_answer = client.verify_session.create(recipient="+14155570000", channel="voice", url=receiver.base + "/cb/na", method="GET").session_uuid
    sb.advance(40)  # past every attempt's last stage (an unanswered call rings for a while)

    def done(records):
        t = callbacks_for(records, two)
        n = callbacks_for(records, no_answer)
        return (
            any(r["params"].get("AttemptSequence") == "1" and r["params"].get("ChannelStatus") == "delivered" for r in t)
            and any(r["params"].get("AttemptSequence") == "2" and r["params"].get("ChannelStatus") == "completed" for r in t)
            and any(r["params"].get("ChannelStatus") == "no-answer" for r in n)
        )

    records = receiver.wait_for(done)
    assert done(records), "two=%s no_answer=%s %r" % (two[:8], no_answer[:8], summary(records))

    session = as_dict(client.verify_session.get(two))
    assert session["count"] == 2 and session["channel"] == "voice"
    by_attempt = {"1": [], "2": []}
    for r in callbacks_for(records, two):
        seq = r["params"]["AttemptSequence"]
        check_callback_fields(r, session, int(seq) - 1)
        check_signatures(r, sb.auth_token)
        by_attempt[seq].append(r["params"]["ChannelStatus"])
    assert by_attempt["1"][-1] == "delivered" and is_ordered_subsequence(by_attempt["1"], SMS_STATUSES), by_attempt
    assert by_attempt["2"][-1] == "completed" and is_ordered_subsequence(by_attempt["2"], VOICE_STATUSES), by_attempt

    na_session = as_dict(client.verify_session.get(no_answer))
    na = callbacks_for(records, no_answer)
    for r in na:
        assert r["method"] == "GET"
        check_callback_fields(r, na_session, 0)
        check_signatures(r, sb.auth_token)
    na_statuses = [r["params"]["ChannelStatus"] for r in na]
    assert na_statuses[-1] == "no-answer" and is_ordered_subsequence(na_statuses, VOICE_FAILED_STATUSES), na_statuses
    assert na[-1]["params"]["ChannelErrorCode"] == "480"

    # the session expiring is a status change too
    sb.advance(120)
    records = receiver.wait_for(
        lambda rs: any(r["params"].get("SessionStatus") == "expired" for r in callbacks_for(rs, two))
    )
    expired = [r for r in callbacks_for(records, two) if r["params"].get("SessionStatus") == "expired"]
    assert len(expired) == 1, summary(callbacks_for(records, two))
    session = as_dict(client.verify_session.get(two))
    assert session["status"] == "expired"
    check_callback_fields(expired[0], session, int(expired[0]["params"]["AttemptSequence"]) - 1)
    check_signatures(expired[0], sb.auth_token)


def test_callback_retried_after_error(sb, client, receiver):
    receiver.fail_once.add("/cb/flaky")
    session_uuid = client.verify_session.create(recipient="+14155550321", url=receiver.base + "/cb/flaky").session_uuid

    def retried(records):
        got = callbacks_for(records, session_uuid)
        return bool(got) and any(
            r["answered"] == 200 and r["params"] == got[0]["params"] for r in got[1:]
        )

    records = receiver.wait_for(retried)
    assert retried(records), summary(records)
    got = callbacks_for(records, session_uuid)
    assert got[0]["answered"] == 500
    for r in got:
        check_signatures(r, sb.auth_token)
    first_status = got[0]["params"]["ChannelStatus"]

    def status_of(c):
        params = c["params"]
        if isinstance(params, str):
            params = {k: v[-1] for k, v in parse_qs(params).items()}
        return params.get("ChannelStatus")

    # The receiver has answered the retry; the sandbox records that answer just after, so its
    # log is polled (bounded) rather than read once.
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        log = sb.dev_get("/__sandbox/callbacks", session_uuid=session_uuid)["callbacks"]
        entry = [c for c in log if status_of(c) == first_status]
        assert len(entry) == 1, log
        if entry[0]["state"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert entry[0]["state"] == "delivered" and entry[0]["tries"] == 2, entry


# --------------------------------------------------------------------------------------------
# The process itself
# --------------------------------------------------------------------------------------------


def test_custom_token_stdout_stderr_and_clean_stop(sandboxes):
    secret = "s3cr3t-token-" + uuid.uuid4().hex
    sb = sandboxes(auth_token=secret)
    client = sb.client()
    resp = client.verify_session.create(recipient="+14155550331")
    otp = sb.otp(resp.session_uuid)
    with pytest.raises(plivo_errors.AuthenticationError):
        sb.client(auth_token=AUTH_TOKEN).verify_session.get(resp.session_uuid)
    assert client.verify_session.validate(resp.session_uuid, otp=otp).message == "session validated successfully."

    sb.proc.send_signal(signal.SIGTERM)
    try:
        code = sb.proc.wait(5)
    except subprocess.TimeoutExpired:
        pytest.fail("SIGTERM did not stop the sandbox within 5 s")
    assert code == 0, "SIGTERM stops it cleanly"
    assert sb.rest_of_stdout() == b"", "nothing but the address is written to stdout"
    err = sb.stderr_text()
    assert secret not in err, "a supplied token is never printed"
    assert "OTP %s" % otp in err


def test_seed_makes_runs_reproducible(sandboxes):
    def run(seed):
        sb = sandboxes(seed=seed)
        client = sb.client()
        u = client.verify_session.create(recipient="+14155550341", app_uuid="3f0b2a1e-7c44-4f5e-9d2a-5b7c1e8f9a10").session_uuid
        return u, sb.otp(u)

    first, second, other = run(42), run(42), run(43)
    assert first == second
    assert other != first


# --------------------------------------------------------------------------------------------
# What the SDK sends beyond the reference, and subaccounts' callbacks
# --------------------------------------------------------------------------------------------


def test_create_with_the_sdks_own_code_dtmf_and_fraud_check(sb, client):
    resp = client.verify_session.create(recipient="+14155550220", channel="voice", otp="2468", dtmf=1, fraud_check="block")
    assert sb.otp(resp.session_uuid) == "2468", "the caller's code is the code"
    attempt = as_dict(client.verify_session.get(resp.session_uuid))["attempt_details"][0]
    assert (attempt["code_length"], attempt["dtmf"], attempt["fraud_check"]) == (4, 1, "block")
    client.verify_session.validate(resp.session_uuid, otp="2468")
    assert client.verify_session.get(resp.session_uuid).status == "verified"


def test_a_subaccounts_callbacks_sign_v2_with_its_token_and_ma_v2_with_the_main_one(sandboxes, receiver):
    sub = "SA" + "E" * 18
    sb = sandboxes("--subaccount", sub + ":tok-sub")
    c = sb.client(auth_id=sub, auth_token="tok-sub")
    session_uuid = c.verify_session.create(recipient="+14155550221", url=receiver.base + "/cb/sub").session_uuid
    records = receiver.wait_for(lambda rs: bool(callbacks_for(rs, session_uuid)))
    for r in callbacks_for(records, session_uuid):
        h, url = r["headers"], r["url"]
        nonce = h["x-plivo-signature-v2-nonce"]
        assert validate_signature(url, nonce, h["x-plivo-signature-v2"], "tok-sub"), r
        assert not validate_signature(url, nonce, h["x-plivo-signature-v2"], sb.auth_token)
        assert validate_signature(url, nonce, h["x-plivo-signature-ma-v2"], sb.auth_token), r
