"""Working days, cut-off times and the legal delivery date (Zugangsfiktion).

Rule implemented (:func:`legal_delivery_date`): since 1 January 2025
(Postrechtsmodernisierungsgesetz) a written administrative act sent by post within Germany
is deemed notified on the **fourth day after posting** (§ 37 Abs. 2 SGB X; the same rule for
formal service by Einschreiben in § 4 Abs. 2 VwZG). If that fourth day is a Saturday, Sunday
or public holiday, the date moves to the **next working day** (case law of BSG and BFH on the
old three-day rule, applied by § 26 Abs. 3 SGB X). Public holidays are the nine nationwide
ones; a tenant may add regional ones (``extra_holidays`` in its outbox settings, ISO dates).

The fiction does not hold when the letter did not arrive or arrived later (§ 37 Abs. 2
Satz 3 SGB X): a ``returned`` letter has no legal delivery date, and a reported delivery
after the fictional date replaces it (:func:`outbox.provider.legal_date`).

A Postzustellungsurkunde (PZU) is different: the service date is the one written on the
Urkunde (§ 3 VwZG with § 180 ZPO), i.e. the date the provider reports as ``delivered``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FICTION_DAYS = 4


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def national_holidays(year: int) -> set[date]:
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),  # Neujahr
        easter - timedelta(days=2),  # Karfreitag
        easter + timedelta(days=1),  # Ostermontag
        date(year, 5, 1),  # Tag der Arbeit
        easter + timedelta(days=39),  # Christi Himmelfahrt
        easter + timedelta(days=50),  # Pfingstmontag
        date(year, 10, 3),  # Tag der Deutschen Einheit
        date(year, 12, 25),
        date(year, 12, 26),
    }


def is_working_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in national_holidays(day.year) | set(extra_holidays)


def legal_delivery_date(posted_on: date, extra_holidays: Iterable[date] = ()) -> date:
    """Posted date + 4 days, moved forward to the next working day (see module docstring)."""
    extra = set(extra_holidays)
    day = posted_on + timedelta(days=FICTION_DAYS)
    while not is_working_day(day, extra):
        day += timedelta(days=1)
    return day


def last_cutoff(
    now: datetime, cutoffs: list[str], working_days: list[int], tz: str
) -> datetime | None:
    """The latest cut-off moment at or before ``now`` within the past 14 days.

    ``cutoffs`` are local ``HH:MM`` times, ``working_days`` ISO weekdays (1 = Monday).
    """
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    times = sorted(time.fromisoformat(c) for c in cutoffs)
    for back in range(15):
        day = local_now.date() - timedelta(days=back)
        if day.isoweekday() not in working_days:
            continue
        for at in reversed(times):
            moment = datetime.combine(day, at, tzinfo=zone)
            if moment <= local_now:
                return moment
    return None
