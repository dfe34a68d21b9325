import pytest

from openpse.documents.states import FINAL, Estado, IllegalTransition, check_transition


def test_an_unknown_outcome_is_never_final():
    assert Estado.DESCONOCIDO not in FINAL
    assert Estado.ERROR not in FINAL


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Estado.REGISTRADO, Estado.ENVIANDO),
        (Estado.ENVIANDO, Estado.DESCONOCIDO),
        (Estado.DESCONOCIDO, Estado.REGISTRADO),
        (Estado.DESCONOCIDO, Estado.ACEPTADO),
        (Estado.ERROR, Estado.FALLIDO),
        (Estado.FALLIDO, Estado.REGISTRADO),
        (Estado.ACEPTADO, Estado.ANULACION_PENDIENTE),
    ],
)
def test_allowed_transitions(current, new):
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Estado.RECHAZADO, Estado.ACEPTADO),
        (Estado.ACEPTADO, Estado.RECHAZADO),
        (Estado.REGISTRADO, Estado.ACEPTADO),
        (Estado.ANULADO, Estado.ACEPTADO),
    ],
)
def test_forbidden_transitions(current, new):
    with pytest.raises(IllegalTransition):
        check_transition(current, new)
