#!/usr/bin/env python3
"""The reference for `multirank wordcount`: Python's own idea of words, counted by collections.Counter.

  reference_words.py count alnum|whitespace FILE...   TSV "word<TAB>count", count desc then word
  reference_words.py classes                          which code points are alnum / space, and
                                                      lower() of every assigned code point that changes
"""
import collections
import re
import sys
import unicodedata

ALNUM_RUN = re.compile(r"[^\W_]+")  # \w is isalnum() plus "_": runs of isalnum() characters


def words(text, rule):
    if rule == "alnum":
        return (w.lower() for w in ALNUM_RUN.findall(text))
    return text.split()


def count(rule, paths):
    counter = collections.Counter()
    for path in paths:
        with open(path, encoding="utf-8", errors="strict", newline="") as f:
            counter.update(words(f.read(), rule))
    out = sys.stdout.buffer
    for word, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f"{word}\t{n}\n".encode("utf-8"))


def classes():
    out = sys.stdout
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue  # unassigned in this Python's Unicode version: nothing to compare
        low = ch.lower()
        out.write(f"{cp:x} {int(ch.isalnum())} {int(ch.isspace())} {' '.join(f'{ord(c):x}' for c in low) if low != ch else '-'}\n")


if __name__ == "__main__":
    if sys.argv[1] == "count":
        count(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "classes":
        classes()
    else:
        sys.exit("usage: reference_words.py count RULE FILE... | classes")
