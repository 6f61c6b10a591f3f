"""Money rules and the shape of domain errors."""

from __future__ import annotations

import re

import pytest

from domain import errors
from domain.errors import DomainError, InvalidAmount, InvalidInput, RuleViolation, UnknownCurrency
from domain.money import (
    ISO_4217,
    MAX_AMOUNT,
    MINOR_UNIT_EXPONENTS,
    check_amount,
    check_currency,
    minor_unit_exponent,
)


@pytest.mark.parametrize("amount", [1, 2500, MAX_AMOUNT])
def test_positive_integer_amounts_up_to_the_maximum_are_accepted(amount: int) -> None:
    check_amount(amount)


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1])
def test_amounts_outside_one_to_the_maximum_are_refused(amount: int) -> None:
    with pytest.raises(InvalidAmount):
        check_amount(amount)


@pytest.mark.parametrize("amount", [True, 1.0, 10.5, "100", None])
def test_non_integer_amounts_including_bool_are_refused(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        check_amount(amount)


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "CHF", "XCG", "ZWG"])
def test_active_iso_4217_codes_are_accepted(code: str) -> None:
    check_currency(code)


@pytest.mark.parametrize("code", ["eur", "EURO", "ABC", "HRK", "", None, 978])
def test_unknown_lowercase_withdrawn_or_non_string_currencies_are_refused(code: object) -> None:
    with pytest.raises(UnknownCurrency):
        check_currency(code)


def test_the_currency_list_holds_only_three_letter_upper_case_codes() -> None:
    assert len(ISO_4217) > 150
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in ISO_4217)


def test_every_domain_error_has_a_kebab_case_code_and_an_http_family() -> None:
    error_classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, DomainError)
    ]
    codes = [error_class.code for error_class in error_classes]
    assert len(codes) == len(set(codes))
    for error_class in error_classes:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", error_class.code)
        if error_class not in (DomainError, InvalidInput, RuleViolation):
            assert issubclass(error_class, InvalidInput | RuleViolation)


def test_a_domain_error_reads_as_its_message_or_a_default() -> None:
    assert str(errors.InsufficientFunds("only 5 available")) == "only 5 available"
    assert str(errors.InsufficientFunds()) == errors.InsufficientFunds.default_message


def test_every_currency_with_its_own_minor_unit_is_an_iso_4217_code() -> None:
    assert set(MINOR_UNIT_EXPONENTS) <= ISO_4217
    assert (minor_unit_exponent("EUR"), minor_unit_exponent("JPY")) == (2, 0)
    assert (minor_unit_exponent("KWD"), minor_unit_exponent("CLF")) == (3, 4)
