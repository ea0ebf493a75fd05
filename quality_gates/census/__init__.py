"""``quality-gates census``: measure the population a service really has (docs/census.md).

A target's census hook prints one JSON line per account with only the hash scheme, its
parameters and the e-mail's shape class; :mod:`.lines` refuses anything that looks like a hash,
salt, secret or address, :mod:`.tally` turns the accounts into segment shares, and :mod:`.cli`
writes them as a population file the replay reads.
"""
