"""The mutation gate's machinery: mutmut 3 on the functions a change touches.

- ``policy``: ``[tool.quality_gates.mutation]``;
- ``scope``: changed lines -> enclosing functions -> mutmut's names for them;
- ``workdir``: the temporary copy of the repository and its generated ``[tool.mutmut]``;
- ``driver``: running mutmut (progress, deadline, output);
- ``results``: mutmut's result files, statuses and the score;
- ``survivors``: the file of accepted survivors (reason, expiry);
- ``runner``: the whole run, with the time budget and sampling;
- ``verdict``: results -> findings and a status.

This package never imports mutmut: mutmut runs in a subprocess, from the interpreter the policy
names (``mutation.python``), so the gates' own environment does not need it.
"""
