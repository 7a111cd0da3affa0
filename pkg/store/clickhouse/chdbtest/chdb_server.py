"""Serve SQL on a chDB session: one JSON request per stdin line, one JSON answer per stdout line.

Request:  {"sql": "...", "format": "CSV", "input": "<base64>"}   ("input" optional: written to a
          file whose path replaces every {input} in the SQL, e.g. file('{input}', 'Native'))
Answer:   {"ok": true, "data": "<base64 of the output>"} or {"ok": false, "error": "..."}
The first line written is {"ready": true, "version": "..."} or {"ready": false, "error": "..."}.
"""
import base64
import json
import os
import sys
import tempfile


def main():
    try:
        from chdb import session
    except Exception as e:  # ImportError, or a broken native library
        print(json.dumps({"ready": False, "error": "%s: %s" % (type(e).__name__, e)}), flush=True)
        return 3
    sess = session.Session(sys.argv[1])
    version = sess.query("SELECT version()", "TSVRaw").bytes().decode().strip()
    print(json.dumps({"ready": True, "version": version}), flush=True)
    tmp = tempfile.mkdtemp(prefix="chdbtest-")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            sql = req["sql"]
            if "input" in req:
                path = os.path.join(tmp, "input.bin")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(req["input"]))
                sql = sql.replace("{input}", path)
            res = sess.query(sql, req.get("format") or "TSVRaw")
            out = res.bytes() if res is not None else b""
            ans = {"ok": True, "data": base64.b64encode(out).decode()}
        except Exception as e:
            ans = {"ok": False, "error": str(e)}
        print(json.dumps(ans), flush=True)
    sess.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
