"""Field-level encryption of identity numbers and dates of birth under per-case data keys.

Envelope encryption: each case has its own random 256-bit data key, stored only wrapped
(AES-GCM) under a master key from settings (`CASES_FIELD_KEYS`, current `CASES_FIELD_KEY_ID`).
Each sensitive value is sealed with the case's data key, bound to the control number and the
field's path as associated data, so a token copied to another case or field does not open.
Destroying a case's data key (`keys.shred`) makes every sealed value of that case unreadable
(crypto-shredding, issue 6).
"""
