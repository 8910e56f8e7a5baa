"""Small number helpers shared by bench/report.py and bench/report_goals.py."""
import statistics


def fnum(v):
    return float(v) if v not in ("", None) else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rng(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def cell(xs, digits=0, scale=1.0):
    """'median (min–max)' of a list; just the value when there is one run."""
    xs = [x / scale for x in xs if x is not None]
    if not xs:
        return "–"
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt(m, digits)
    return f"{fmt(m, digits)} ({fmt(min(xs), digits)}–{fmt(max(xs), digits)})"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}×"


def col_opt(rows, k):
    """A column that older CSVs may not have."""
    return [fnum(r.get(k)) for r in rows]


def spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2 or statistics.median(xs) == 0:
        return None
    return (max(xs) - min(xs)) / statistics.median(xs)
