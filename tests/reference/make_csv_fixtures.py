#!/usr/bin/python3
"""Writes the CSV/TSV fixtures of tests/unit/io/test_csv.cpp with Python's csv module, the way
pandas.to_csv writes the real Spikefinder files (repr of each float, NaN as an empty cell).

Run with Debian's python: /usr/bin/python3 tests/reference/make_csv_fixtures.py
Values, recomputed by the test (i = row, j = column):
  tiny.calcium.csv  c[i, j] = 0.1 i - 0.05 j, neuron columns "0" (6 rows), "1" (4 rows, then
                    NaN padding), "2" (6 rows, NaN inside at row 2)
  tiny.spikes.csv   s[i, j] = (i + j) % 3 with the same padding
  rois.csv / .tsv   v[i, j] = 10 i + j + 0.5, header "A","B","C" (quoted), 5 rows
  events.csv        bold = 0.25 i, events = 0 2 2 0 3 0 2 0
Files named bad_* / empty* / header_only* / ragged* must be rejected.
"""
import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "csv")
os.makedirs(OUT, exist_ok=True)
NAN = float("nan")


def cell(v):
    return "" if isinstance(v, float) and math.isnan(v) else repr(v)


def write(name, header, rows, delimiter=",", quote_header=False):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        if quote_header:
            csv.writer(f, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerow(header)
        else:
            csv.writer(f, delimiter=delimiter).writerow(header)
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        for r in rows:
            w.writerow([cell(v) for v in r])


lengths = [6, 4, 6]
calcium = [[0.1 * i - 0.05 * j if i < lengths[j] and not (j == 2 and i == 2) else NAN
            for j in range(3)] for i in range(6)]
spikes = [[float((i + j) % 3) if i < lengths[j] else NAN for j in range(3)] for i in range(6)]
write("tiny.calcium.csv", ["0", "1", "2"], calcium)
write("tiny.spikes.csv", ["0", "1", "2"], spikes)
write("lonely.spikes.csv", ["0", "1", "2"], spikes)
write("orphan.calcium.csv", ["0", "1", "2"], calcium)
write("missing_neuron.calcium.csv", ["0", "1", "2"], calcium)
write("missing_neuron.spikes.csv", ["0", "1"], [r[:2] for r in spikes])
write("ragged.calcium.csv", ["0", "1", "2"], calcium[:2] + [calcium[2][:2]] + calcium[3:])
write("bad_cell.calcium.csv", ["0", "1", "2"], calcium[:1] + [[0.5, "x1", 0.5]] + calcium[2:])

rois = [[10 * i + j + 0.5 for j in range(3)] for i in range(5)]
write("rois.csv", ["A", "B", "C"], rois, quote_header=True)
write("rois.tsv", ["A", "B", "C"], rois, delimiter="\t", quote_header=True)
codes = [0, 2, 2, 0, 3, 0, 2, 0]
write("events.csv", ["bold", "events"], [[0.25 * i, float(c)] for i, c in enumerate(codes)])
write("bad_code.csv", ["bold", "events"], [[0.0, 0.0], [1.0, 1.5]])
write("ragged.csv", ["A", "B"], [[1.0, 2.0], [3.0]])
write("bad_cell.csv", ["A", "B"], [[1.0, 2.0], [3.0, "abc"]])
write("duplicate.csv", ["A", "A"], [[1.0, 2.0]])
write("header_only.csv", ["A", "B"], [])
open(os.path.join(OUT, "empty.csv"), "w").close()
