"""Our rules and SUNAT's GRE sheets agree on guías nobody wrote by hand.

Each example takes a case of the positive corpus and changes one to four of its fields to
values drawn from a list of plausible and wrong ones (another motive, a hyphenated plate,
a zero quantity, a customs unit, an indicator switched on...), reproducibly from its seed.
The guía is then judged twice: by our rules, and, built with the rules switched off, by
SUNAT's sheet. Whatever the sheet rejects, our rules reject with that code among theirs;
whatever it accepts, they accept, with the same observations.

Values SUNAT's sheets let through but OpenPSE refuses on purpose (an establishment code
that is not four digits, a malformed RUC where the sheet checks none, see the rules'
module docstring) are left out of the draw.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from guias_cases import CLIENTE, EMPRESA, TRANSPORTES, positive_cases
from guias_oracles import run_sheet
from guias_support import EMISORES

from openpse.authorities.sunat.guias import build_despatch, check_guia, parse_guia
from openpse.authorities.sunat.naming import DocumentName
from openpse.core.timeutil import now_lima
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import sign_canonical

pytest_plugins = ["guias_fixtures"]
pytestmark = pytest.mark.conformance

VALUES: dict[str, list[Any]] = {
    "motivo_traslado": ["01", "02", "03", "04", "05", "06", "07", "08", "09", "13", "14", "17", "18"],
    "modalidad_traslado": ["01", "02"],
    "ubigeo": ["150101", "070101", "040101", "999999"],
    "placa": ["ABC123", "ABC-123", "0000000"],
    "tuc": [None, "15M21028102E", "123"],
    "tipo_documento": ["1", "6", "4", "0", "X"],
    "numero_documento": ["46027897", EMPRESA, CLIENTE, TRANSPORTES, "US45129874"],
    "licencia": ["Q46027897", "Q1", "0000000000"],
    "cantidad": ["1", "0", "1.12345678901", None],
    "unidad": ["NIU", "KG", "U", "KGM", "XXX", None],
    "codigo_producto_sunat": ["30111601", "12345678", "50161509", None],
    "codigo_establecimiento": [None, "0000", "0001"],
    "ruc_establecimiento": [None, EMPRESA, CLIENTE],
    "peso_bruto_total": ["1", "0", "1.2345"],
    "numero_bultos": [None, 5],
    "bien_normalizado": [True, False],
    "partida_arancelaria": [None, "1701140000", "123"],
    "numero_dam": [None, "118-2026-40-000456", "X"],
    "serie_dam": [None, "1", "00000"],
    "transbordo_programado": [True, False],
    "vehiculo_m1_l": [True, False],
    "vehiculo_conductores_transportista": [True, False],
    "traslado_total_dam_ds": [True, False],
    "traslado_total": [True, False],
    "pagador_flete": [None, "remitente", "tercero", "subcontratador"],
    "anotacion": [None, "Anotacion sobre los bienes"],
}
CASES = list(positive_cases().values())


def _mutate(node: Any, draw: random.Random) -> None:
    if isinstance(node, list):
        if node:
            _mutate(draw.choice(node), draw)
        return
    if not isinstance(node, dict):
        return
    keys = [key for key in node if key in VALUES or isinstance(node[key], dict | list)]
    if not keys:
        return
    key = draw.choice(keys)
    if key in VALUES and (not isinstance(node[key], dict | list) or draw.random() < 0.3):
        node[key] = draw.choice(VALUES[key])
    else:
        _mutate(node[key], draw)


def _variation(seed: int) -> dict[str, Any]:
    draw = random.Random(seed)
    body = copy.deepcopy(draw.choice(CASES)[0])
    for _ in range(draw.randint(1, 4)):
        _mutate(body, draw)
    return body


@pytest.mark.parametrize("seed", range(60))
def test_our_verdict_is_sunats(seed: int, gre_certificates: dict[str, Certificate]) -> None:
    guia = parse_guia(_variation(seed))
    emisor = EMISORES[guia.tipo]
    now = now_lima()
    ours = check_guia(guia, emisor, now.date())
    unchecked = build_despatch(guia, 1, emisor, now.date(), now.time())
    signed = sign_canonical(unchecked, gre_certificates[emisor.ruc])

    theirs = run_sheet(guia.tipo, signed.xml, DocumentName(emisor.ruc, guia.tipo, guia.serie, 1).xml)

    our_codes = [issue.cod for issue in ours.issues]
    if theirs.rejected:
        assert theirs.error_codes[0] in our_codes, (theirs.messages, ours.issues)
    else:
        assert our_codes == [], ours.issues
        assert {issue.cod for issue in ours.warnings} == set(theirs.observation_codes), theirs.messages
