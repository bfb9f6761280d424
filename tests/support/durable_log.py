"""Reading and editing the lines of multirank's durable files (journals, the farm's status file)
as the tests need: every line is one JSON object whose last member is "crc32", the CRC-32 of the
line's own text without that member (``line[:line.rindex(',"crc32":')] + "}"``)."""
import json
import zlib

_MEMBER = ',"crc32":"'
_LONE = '{"crc32":"'


def split(line):
    """(text without the crc32 member, its eight hex digits); AssertionError when there is none."""
    line = line.rstrip("\n")
    assert line.endswith('"}') and len(line) >= 12, f"no crc32 as the last member: {line}"
    digits = line[-10:-2]
    if line.startswith(_LONE) and len(line) == len(_LONE) + 10:
        return "{}", digits
    cut = line.rfind(_MEMBER)
    assert cut >= 0 and len(line) == cut + len(_MEMBER) + 10, f"no crc32 as the last member: {line}"
    return line[:cut] + "}", digits


def checksum(text):
    return "%08x" % zlib.crc32(text.encode("utf-8"))


def verified(line):
    """The record of a line whose checksum holds (without the crc32 member)."""
    text, digits = split(line)
    assert digits == checksum(text), f"checksum {digits} does not match: {line}"
    return json.loads(text)


def sealed(text):
    """A line for the record text `text` (a JSON object, no crc32 member), as multirank writes it."""
    head = "{" if text == "{}" else text[:-1] + ","
    return head + '"crc32":"%s"}' % checksum(text)
