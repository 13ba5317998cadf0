"""Family protection: the policy, its parent lock, the gates it adds and consent records.

``policy`` holds the rules and presets, ``lock`` signs and verifies them with a key
derived from the parent passphrase (a tampered file means the strictest rules),
``gates`` turns the rules into pure judgements of a report (with the evidence each
needs) and consent rules, ``approval`` asks a parent once per export where a gate lets
one decide, and ``records`` keeps the local consent log (no file names unless the policy
audits).
"""
