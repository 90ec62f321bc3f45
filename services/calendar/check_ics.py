#!/usr/bin/python3
"""Check an iCalendar feed with the independent python3-icalendar parser.

Usage: check_ics.py FILE. Exits 0 when the file parses without errors or
warnings, every line ends in CRLF and has at most 75 octets, and every TZID
used has a VTIMEZONE. Otherwise prints each problem and exits 1.
"""
import sys
import warnings

import icalendar


def main(path):
    problems = []
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines[-1] != b"":
        problems.append("the file does not end with CRLF")
    for number, line in enumerate(lines[:-1], start=1):
        if not line.endswith(b"\r") or b"\r" in line[:-1]:
            problems.append(f"line {number}: does not end with CRLF")
        octets = len(line.rstrip(b"\r"))
        if octets > 75:
            problems.append(f"line {number}: {octets} octets, more than 75")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"not UTF-8: {error}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calendar = icalendar.Calendar.from_ical(data)
        for component in calendar.walk():
            for error in component.errors:
                problems.append(f"{component.name}: {error}")
            for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DTSTAMP"):
                if name in component:
                    component.decoded(name)
    problems += [f"warning: {warning.message}" for warning in caught]

    zones = {zone["TZID"] for zone in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART"):
            if name not in event:
                problems.append(f"VEVENT {event.get('UID')}: no {name}")
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            tzid = event[name].params.get("TZID") if name in event else None
            if tzid and tzid not in zones:
                problems.append(f"VEVENT {event.get('UID')}: TZID {tzid} has no VTIMEZONE")

    for problem in problems:
        print(problem)
    print(f"{len(calendar.walk('VEVENT'))} events, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
