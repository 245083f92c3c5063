"""Privacy stage: detect identifiers, classify fields, desensitize, disclosure control, verify, record.

Modules: ``detect`` (vectorized validating detectors, ``scan_frame``/``scan_file``), ``classify``
(declared vs detected sensitivity), ``methods`` (mask/pseudonymize/surrogate/generalize/suppress),
``disclosure`` (small-count + secondary suppression, k-anonymity), ``desensitize`` (``apply``),
``verify`` (re-scan), ``record`` (GB/T 37964 de-identification record).
"""
