"""Money rules: amounts are int minor units in 1..MAX_AMOUNT, currencies active ISO 4217 codes."""

from __future__ import annotations

from domain.errors import InvalidAmount, UnknownCurrency

MAX_AMOUNT = 10**15

# Active alphabetic codes of ISO 4217 List One (currencies and funds, including the X-codes
# for precious metals, SDR, testing and "no currency"), as maintained by SIX in 2026.
# Withdrawn codes (HRK, CUC, ZWL, SLL, ANG, BGN, ...) are refused for *new* movements only:
# stored events are replayed without validation, so history in a withdrawn currency stays readable.
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
    PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
    SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
    WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW
    ZWG
    """.split()  # noqa: SIM905 - a table reads better than 177 quoted strings
)


# Minor-unit exponents (ISO 4217 "minor unit" column) that differ from the usual 2, for
# display; amounts stay int minor units everywhere else. Codes whose column says N.A.
# (precious metals, SDR, test, no currency) are shown with 2 like the rest.
_EXPONENT_TABLE = """
0 BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF
3 BHD IQD JOD KWD LYD OMR TND
4 CLF UYW
"""
MINOR_UNIT_EXPONENTS: dict[str, int] = {
    code: int(row[0]) for row in _EXPONENT_TABLE.strip().splitlines() for code in row.split()[1:]
}


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has: 2 for EUR, 0 for JPY, 3 for KWD."""
    return MINOR_UNIT_EXPONENTS.get(currency, 2)


def check_amount(amount: object) -> None:
    """Refuse anything but a positive int (bool excluded) of at most MAX_AMOUNT minor units."""
    # bool is a subclass of int, and True must not pass for one cent.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmount(f"Amount must be an integer number of minor units, got {amount!r}.")
    if not 1 <= amount <= MAX_AMOUNT:
        raise InvalidAmount(f"Amount must be between 1 and {MAX_AMOUNT}, got {amount}.")


def check_currency(code: object) -> None:
    """Refuse anything but an active ISO 4217 alphabetic code (upper case, exactly)."""
    if not isinstance(code, str) or code not in ISO_4217:
        raise UnknownCurrency(f"{code!r} is not an active ISO 4217 currency code.")
