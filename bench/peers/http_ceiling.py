"""Peer measurement: the HTTP ceiling of this machine for ``POST /v1/comprobantes``.

The same server stack as ``openpse serve`` (uvicorn, FastAPI, a JSON body parsed with the
standard library) answering 202 with a small JSON body and doing no work at all: no
authentication, validation, signing or storage. Driven by the same load generator as the
ingest benchmark, it is the most any endpoint on this stack can reach on this machine in
the same run; the ingest figures are reported as a fraction of it.

Usage: ``python bench/peers/http_ceiling.py PORT`` (serves until terminated).
"""

from __future__ import annotations

import json
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/v1/comprobantes")
async def emitir(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    numero = body.get("numero")
    return JSONResponse({"id": f"20000000001-01-F002-{numero}", "estado": "registrado"}, status_code=202)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"estado": "ok"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
