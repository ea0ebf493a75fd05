"""A small login service with one switch per defect class: the conformance suite's adversary.

Independent of authsvc (Starlette, the stdlib's sqlite3, argon2-cffi, PyJWT). Clean by default;
``--defect NAME[,NAME]`` turns on the shortcuts listed in ``defects.DEFECTS``. Started as a real
process by ``tests/conformance/_zoo.py``; described by ``profile.toml`` beside this file.
"""
